/**
 * Typed readers for untrusted record fields. Empty strings and nulls mean "absent" (Log Analytics
 * exports carry every column, empty when the record had no such field); a value of the wrong type
 * is a MalformedRecordError naming the field.
 */
import { MalformedRecordError } from './malformed-record-error.js';

export type Json = Record<string, unknown>;

export function isObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function optString(v: unknown, field: string): string | undefined {
  if (typeof v === 'string') return v === '' ? undefined : v;
  if (v === undefined || v === null) return undefined;
  throw new MalformedRecordError(`${field} must be a string`);
}

const DIGITS = /^\s*-?\d+(\.\d+)?\s*$/;

function isPlainInteger(v: string): boolean {
  if (v.length === 0 || v.length > 15) return false;
  for (let i = 0; i < v.length; i++) {
    const c = v.charCodeAt(i);
    if (c < 48 || c > 57) return false;
  }
  return true;
}

/** A number, or a string holding one (`durationMs` is a string in blobs; `_d` columns are doubles). */
export function optNumber(v: unknown, field: string): number | undefined {
  if (typeof v === 'number') {
    if (Number.isFinite(v)) return v;
    throw new MalformedRecordError(`${field} must be a finite number`);
  }
  if (v === undefined || v === null || v === '') return undefined;
  if (typeof v === 'string') {
    if (isPlainInteger(v)) return Number(v);
    if (DIGITS.test(v)) return Number(v);
  }
  throw new MalformedRecordError(`${field} must be a number`);
}

export function optBoolean(v: unknown, field: string): boolean | undefined {
  if (typeof v === 'boolean') return v;
  if (v === undefined || v === null || v === '') return undefined;
  if (typeof v === 'string') {
    const s = v.toLowerCase();
    if (s === 'true') return true;
    if (s === 'false') return false;
  }
  throw new MalformedRecordError(`${field} must be a boolean`);
}

/** An object, or a JSON string of one (Log Analytics `dynamic` columns can arrive either way). */
export function optObject(v: unknown, field: string): Json | null | undefined {
  if (v === undefined) return undefined;
  if (v === null || v === '') return null;
  if (isObject(v)) return v;
  if (typeof v === 'string' && v.charCodeAt(0) === 0x7b) {
    try {
      const parsed: unknown = JSON.parse(v);
      if (isObject(parsed)) return parsed;
    } catch {
      // fall through to the type error
    }
  }
  throw new MalformedRecordError(`${field} must be an object`);
}

/** Case-insensitive property read (`ObjectId` / `objectId`); exact match first. */
export function prop(o: Json, name: string): unknown {
  const exact = o[name];
  if (exact !== undefined) return exact;
  const lower = name.toLowerCase();
  for (const k of Object.keys(o)) if (k.toLowerCase() === lower) return o[k];
  return undefined;
}

const DIGIT_POSITIONS = [0, 1, 2, 3, 5, 6, 8, 9, 11, 12, 14, 15, 17, 18];
const pad2 = (s: string, i: number): number => (s.charCodeAt(i) - 48) * 10 + (s.charCodeAt(i + 1) - 48);
const isDigit = (c: number): boolean => c >= 48 && c <= 57;

/**
 * Strict ISO-8601 UTC parse to epoch ms: `YYYY-MM-DDTHH:MM:SS[.f…][Z|±HH:MM]` (a space instead of
 * `T` and no zone are accepted as UTC, as Log Analytics exports show). Fractions beyond ms are
 * truncated, so 7-digit blob times and 3-digit export times of one event agree.
 */
export function parseIsoTime(v: unknown, field: string): number {
  if (v === undefined || v === null || v === '') throw new MalformedRecordError(`missing ${field}`);
  if (typeof v !== 'string')
    throw new MalformedRecordError(`${field} must be an ISO-8601 string, got ${typeof v}`);
  const s = isDigit(v.charCodeAt(0)) && v.charCodeAt(v.length - 1) > 0x20 ? v : v.trim();
  const ok =
    s.length >= 19 &&
    s.charCodeAt(4) === 45 &&
    s.charCodeAt(7) === 45 &&
    (s[10] === 'T' || s[10] === 't' || s[10] === ' ') &&
    s.charCodeAt(13) === 58 &&
    s.charCodeAt(16) === 58;
  if (!ok) throw notIsoTime(field, s);
  for (let k = 0; k < DIGIT_POSITIONS.length; k++) {
    if (!isDigit(s.charCodeAt(DIGIT_POSITIONS[k]!))) throw notIsoTime(field, s);
  }
  const year = pad2(s, 0) * 100 + pad2(s, 2);
  const month = pad2(s, 5);
  const day = pad2(s, 8);
  const hour = pad2(s, 11);
  const minute = pad2(s, 14);
  const second = pad2(s, 17);
  let i = 19;
  let ms = 0;
  if (s[i] === '.' || s[i] === ',') {
    i++;
    let digits = 0;
    while (i < s.length && isDigit(s.charCodeAt(i))) {
      if (digits < 3) ms = ms * 10 + (s.charCodeAt(i) - 48);
      digits++;
      i++;
    }
    if (digits === 0) throw notIsoTime(field, s);
    for (let d = digits; d < 3; d++) ms *= 10;
  }
  let offsetMin = 0;
  if (i === s.length - 1 && (s[i] === 'Z' || s[i] === 'z')) offsetMin = 0;
  else if (i < s.length) {
    const rest = s.slice(i);
    if (!/^[+-]\d\d:?\d\d$/.test(rest)) throw notIsoTime(field, s);
    const sign = rest[0] === '-' ? -1 : 1;
    const digitsOnly = rest.replace(':', '');
    offsetMin = sign * (Number(digitsOnly.slice(1, 3)) * 60 + Number(digitsOnly.slice(3, 5)));
  }
  if (
    month < 1 ||
    month > 12 ||
    day < 1 ||
    day > daysIn(year, month) ||
    hour > 23 ||
    minute > 59 ||
    second > 59
  ) {
    throw new MalformedRecordError(`${field} is not a valid date: ${clip(s)}`);
  }
  return (
    daysFromCivil(year, month, day) * 86_400_000 +
    ((hour * 60 + minute - offsetMin) * 60 + second) * 1000 +
    ms
  );
}

function notIsoTime(field: string, s: string): MalformedRecordError {
  return new MalformedRecordError(`${field} is not an ISO-8601 time: ${clip(s)}`);
}

/** Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's days_from_civil). */
function daysFromCivil(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const doy = Math.floor((153 * (month + (month > 2 ? -3 : 9)) + 2) / 5) + day - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146097 + doe - 719468;
}

const DAYS = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
function daysIn(year: number, month: number): number {
  if (month === 2 && ((year % 4 === 0 && year % 100 !== 0) || year % 400 === 0)) return 29;
  return DAYS[month - 1]!;
}

/** Shorten an untrusted value for a message. */
export function clip(s: string, max = 60): string {
  return s.length > max ? `${s.slice(0, max)}…` : s;
}

/**
 * The ISO-8601 ms-precision UTC form of a time already parsed to `ms` from `raw`: cut straight
 * from Azure's usual `YYYY-MM-DDTHH:MM:SS.fffffffZ` when it has that form, else formatted.
 */
export function isoMillis(raw: unknown, ms: number): string {
  if (
    typeof raw === 'string' &&
    raw.length >= 24 &&
    raw.length <= 30 &&
    raw.charCodeAt(10) === 84 /* T */ &&
    raw.charCodeAt(19) === 46 /* . */ &&
    raw.charCodeAt(raw.length - 1) === 90 /* Z */ &&
    isDigit(raw.charCodeAt(22))
  ) {
    return `${raw.slice(0, 23)}Z`;
  }
  return new Date(ms).toISOString();
}
