import { VAULT_NAME } from '../config/load.js';
import { InvalidParameterError } from '../errors.js';

/**
 * Validation of every value a user can put into a canned query. The rule is allow-listing: each kind of
 * value has a small ASCII alphabet that can never contain a quote, backslash, pipe, semicolon, comment
 * marker, whitespace, control character or non-ASCII look-alike, so a value that passes can only ever be
 * data. Anything else is refused with InvalidParameterError naming the parameter.
 */

/** Longest value any parameter accepts (UPNs are at most 113 characters in Entra). */
export const MAX_PARAMETER_LENGTH = 128;
/** Longest period a query may cover. */
export const MAX_PERIOD_MS = 90 * 86_400_000;
/** Largest row cap a caller may ask for. */
export const MAX_ROWS = 1_000;

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
/** user@domain.tld: local part of letters, digits and `. _ - + ' #` minus `'`; domain labels. */
const UPN =
  /^[a-z0-9._+#-]{1,64}@[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)+$/;
const IPV4 = /^(?:(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)$/;
const IPV6 = /^[0-9a-f:]{2,39}$/;
const DURATION = /^([1-9]\d{0,3})([mhdw])$/;
const UNIT_MS: Record<string, number> = { m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

/** A refused value is never echoed whole: hostile text must not travel on into logs or cards. */
function shown(raw: string): string {
  const printable = raw.replace(/[^\x20-\x7e]/g, '?');
  return printable.length > 40 ? `"${printable.slice(0, 40)}…" (${raw.length} characters)` : `"${printable}"`;
}

function checkLength(name: string, raw: string): void {
  if (raw.length === 0) throw new InvalidParameterError(name, 'is empty');
  if (raw.length > MAX_PARAMETER_LENGTH)
    throw new InvalidParameterError(name, `is longer than ${MAX_PARAMETER_LENGTH} characters`);
}

/** A Key Vault name (Azure's rule), returned in lower case. */
export function parseVault(raw: string): string {
  checkLength('vault', raw);
  if (!VAULT_NAME.test(raw))
    throw new InvalidParameterError(
      'vault',
      `${shown(raw)} is not a Key Vault name (3-24 letters, digits and single hyphens, starting with a letter)`,
    );
  return raw.toLowerCase();
}

/** A principal: an object/app id GUID or a UPN, in lower case. */
export function parsePrincipal(raw: string, name = 'caller'): string {
  checkLength(name, raw);
  const lower = raw.toLowerCase();
  if (GUID.test(lower) || UPN.test(lower)) return lower;
  throw new InvalidParameterError(
    name,
    `${shown(raw)} is not an object id (GUID) or a UPN like alice@contoso.com`,
  );
}

/** An IPv4 or IPv6 address (the `ip` pivot). */
export function parseIp(raw: string): string {
  checkLength('ip', raw);
  const lower = raw.toLowerCase();
  if (IPV4.test(lower)) return lower;
  if (IPV6.test(lower) && lower.includes(':') && lower.split('::').length <= 2) return lower;
  throw new InvalidParameterError('ip', `${shown(raw)} is not an IP address`);
}

/**
 * A period: `today` (since UTC midnight) or a duration such as `30m`, `24h`, `7d`, `2w`, at most 90 days.
 * Returns the period as a lookback in ms, or the literal `today`.
 */
export function parseSince(raw: string): number | 'today' {
  checkLength('since', raw);
  const lower = raw.toLowerCase();
  if (lower === 'today') return 'today';
  const m = DURATION.exec(lower);
  if (!m)
    throw new InvalidParameterError('since', `${shown(raw)} is not a period like today, 24h, 7d or 30d`);
  const ms = Number(m[1]) * (UNIT_MS[m[2]!] ?? Number.NaN);
  if (!(ms <= MAX_PERIOD_MS))
    throw new InvalidParameterError('since', `${shown(raw)} is longer than 90 days`);
  return ms;
}

/** A row cap between 1 and MAX_ROWS. */
export function parseLimit(raw: string | number): number {
  const text = String(raw);
  if (!/^[1-9]\d{0,3}$/.test(text))
    throw new InvalidParameterError('limit', `${shown(text)} is not a number from 1 to ${MAX_ROWS}`);
  const n = Number(text);
  if (n > MAX_ROWS) throw new InvalidParameterError('limit', `${n} is more than ${MAX_ROWS}`);
  return n;
}
