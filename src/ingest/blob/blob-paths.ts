/**
 * Azure Monitor's blob layout for resource logs:
 * `resourceId=/SUBSCRIPTIONS/{sub}/RESOURCEGROUPS/{rg}/PROVIDERS/MICROSOFT.KEYVAULT/VAULTS/{name}/y=YYYY/m=MM/d=DD/h=HH/m=00/PT1H.json`
 * (UTC; bucketed by receive time, so an hour's blob may hold records of other hours).
 */
const PATH = /^resourceId=(\/.+?)\/y=(\d{4})\/m=(\d{2})\/d=(\d{2})\/h=(\d{2})\/m=00\/PT1H\.json$/i;
const VAULT = /\/providers\/microsoft\.keyvault\/vaults\/([^/]+)$/i;

export const HOUR_MS = 3_600_000;

export interface BlobPath {
  /** Resource id as written in the path (casing preserved). */
  readonly resourceId: string;
  /** Vault name, lower case. */
  readonly vault: string;
  /** Start of the blob's hour, epoch ms. */
  readonly hourMs: number;
}

/** Parses a PT1H.json blob name; undefined for anything else (other categories, stray files). */
export function parseBlobPath(name: string): BlobPath | undefined {
  const m = PATH.exec(name);
  if (!m) return undefined;
  const [, resourceId, y, mo, d, h] = m;
  const vault = VAULT.exec(resourceId!)?.[1];
  if (!vault) return undefined;
  const hourMs = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h));
  return { resourceId: resourceId!, vault: vault.toLowerCase(), hourMs };
}

/** The blob name of a vault's hour. */
export function blobPathFor(resourceId: string, hourMs: number): string {
  return `${hourPrefix(resourceId, hourMs)}m=00/PT1H.json`;
}

/** Listing prefix of one vault-hour: `resourceId=…/y=2025/m=06/d=02/h=13/`. */
export function hourPrefix(resourceId: string, hourMs: number): string {
  const t = new Date(hourMs);
  const p = (n: number) => String(n).padStart(2, '0');
  const rid = resourceId.startsWith('/') ? resourceId : `/${resourceId}`;
  return `resourceId=${rid}/y=${t.getUTCFullYear()}/m=${p(t.getUTCMonth() + 1)}/d=${p(t.getUTCDate())}/h=${p(t.getUTCHours())}/`;
}

/** Hours from `fromMs` to `toMs` inclusive, floored to the hour (crosses day, month and year boundaries). */
export function hoursBetween(fromMs: number, toMs: number): number[] {
  const out: number[] = [];
  for (let h = floorHour(fromMs); h <= floorHour(toMs); h += HOUR_MS) out.push(h);
  return out;
}

export function floorHour(ms: number): number {
  return Math.floor(ms / HOUR_MS) * HOUR_MS;
}

/** Casings to list a configured resource id under: Azure writes it upper-cased, but not always. */
export function resourceIdCasings(resourceId: string): string[] {
  const rid = resourceId.startsWith('/') ? resourceId : `/${resourceId}`;
  return [...new Set([rid.toUpperCase(), rid])];
}
