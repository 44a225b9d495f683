/**
 * What a Key Vault URI points at: the vault (from a data-plane host or an ARM path) and the
 * object (secret/key/certificate, deleted or not, name, version). Hand-rolled rather than `new URL`
 * because it runs once per record on the hot path.
 */
import type { AuditObject } from './audit-event.js';

interface SplitUri {
  /** Host as written (not lower-cased). */
  host: string;
  segments: string[];
}

/** Host and the first `max` path segments of a URI, without query or fragment. */
function splitUri(uri: string, max: number): SplitUri | undefined {
  const scheme = uri.indexOf('://');
  if (scheme < 0) return undefined;
  let end = uri.length;
  const q = uri.indexOf('?', scheme + 3);
  if (q >= 0) end = q;
  const h = uri.indexOf('#', scheme + 3);
  if (h >= 0 && h < end) end = h;
  const slash = uri.indexOf('/', scheme + 3);
  const hostEnd = slash >= 0 && slash < end ? slash : end;
  const host = uri.slice(scheme + 3, hostEnd);
  const segments: string[] = [];
  let pos = hostEnd + 1;
  while (pos < end && segments.length < max) {
    let next = uri.indexOf('/', pos);
    if (next < 0 || next > end) next = end;
    if (next > pos) segments.push(uri.slice(pos, next));
    pos = next + 1;
  }
  return { host, segments };
}

const DATA_PLANE_HOST = /^([a-z0-9-]+)\.(vault|managedhsm)\./;

interface HostInfo {
  /** data: `<vault>.vault.azure.net` and the like; arm: management endpoints; other: anything else. */
  kind: 'data' | 'arm' | 'other';
  vault: string | undefined;
}

/** Hosts repeat on every record of a vault: classify each distinct one once (bounded). */
const hosts = new Map<string, HostInfo>();
function hostInfo(host: string): HostInfo {
  let info = hosts.get(host);
  if (info === undefined) {
    if (hosts.size >= 4096) hosts.clear();
    const lower = host.toLowerCase();
    const m = DATA_PLANE_HOST.exec(lower);
    info = m
      ? { kind: 'data', vault: m[1] }
      : {
          kind: lower.includes('management.') || lower.startsWith('control-') ? 'arm' : 'other',
          vault: undefined,
        };
    hosts.set(host, info);
  }
  return info;
}

/** Vault name (lower case) from a data-plane host or an ARM `/vaults/<name>` path. */
export function vaultFromUri(uri: string): string | undefined {
  const u = splitUri(uri, Number.POSITIVE_INFINITY);
  if (!u) return undefined;
  const info = hostInfo(u.host);
  if (info.vault !== undefined) return info.vault;
  for (let i = 0; i < u.segments.length - 1; i++) {
    const s = u.segments[i]!.toLowerCase();
    if (s === 'vaults' || s === 'managedhsms') return u.segments[i + 1]!.toLowerCase();
  }
  return undefined;
}

/** Vault name (lower case) from an ARM resource id. */
export function vaultFromResourceId(resourceId: string): string | undefined {
  const lower = resourceId.toLowerCase();
  for (const marker of ['/vaults/', '/managedhsms/']) {
    const i = lower.lastIndexOf(marker);
    if (i >= 0) {
      const name = lower.slice(i + marker.length).split('/')[0];
      if (name) return name;
    }
  }
  return undefined;
}

const COLLECTIONS = new Map<string, AuditObject>([
  ['secrets', { type: 'secret', deleted: false }],
  ['keys', { type: 'key', deleted: false }],
  ['certificates', { type: 'certificate', deleted: false }],
  ['deletedsecrets', { type: 'secret', deleted: true }],
  ['deletedkeys', { type: 'key', deleted: true }],
  ['deletedcertificates', { type: 'certificate', deleted: true }],
  ['storage', { type: 'storage', deleted: false }],
  ['deletedstorage', { type: 'storage', deleted: true }],
]);
/** Path words after a collection that are actions, not object names. */
const NOT_NAMES = new Set(['restore', 'import', 'contacts', 'issuers']);

function isName(segment: string): boolean {
  // Only words of 6 to 8 letters can be one of NOT_NAMES: skip the lower-casing for the rest.
  return segment.length < 6 || segment.length > 8 || !NOT_NAMES.has(segment.toLowerCase());
}

/** A 32-hex-digit object version (either case). */
function isVersion(s: string): boolean {
  if (s.length !== 32) return false;
  for (let i = 0; i < 32; i++) {
    const c = s.charCodeAt(i) | 0x20; // fold upper-case letters (digits are unchanged)
    if (!((c >= 48 && c <= 57) || (c >= 97 && c <= 102))) return false;
  }
  return true;
}

const VAULT_OBJECT: AuditObject = Object.freeze({
  type: 'vault',
  deleted: false,
  name: undefined,
  version: undefined,
});
const OTHER_OBJECT: AuditObject = Object.freeze({
  type: 'other',
  deleted: false,
  name: undefined,
  version: undefined,
});

/**
 * The object a Key Vault URI acts on; a vault root or an ARM URI is the vault itself. Runs once per
 * record: the path is walked in place (no split, no regular expression).
 */
export function objectFromUri(uri: string): AuditObject | undefined {
  const scheme = uri.indexOf('://');
  if (scheme < 0) return undefined;
  const hostStart = scheme + 3;
  let end = uri.length;
  const q = uri.indexOf('?', hostStart);
  if (q >= 0) end = q;
  const h = uri.indexOf('#', hostStart);
  if (h >= 0 && h < end) end = h;
  const slash = uri.indexOf('/', hostStart);
  const hostEnd = slash >= 0 && slash < end ? slash : end;
  const info = hostInfo(uri.slice(hostStart, hostEnd));
  if (info.kind !== 'data') return info.kind === 'arm' ? VAULT_OBJECT : undefined;
  const cursor = { pos: hostEnd + 1, end };
  const first = nextSegment(uri, cursor);
  if (first === undefined) return VAULT_OBJECT;
  const kind = COLLECTIONS.get(first) ?? COLLECTIONS.get(first.toLowerCase());
  if (!kind) return OTHER_OBJECT;
  const second = nextSegment(uri, cursor);
  const name = second !== undefined && isName(second) ? second : undefined;
  const third = name !== undefined ? nextSegment(uri, cursor) : undefined;
  const version = third !== undefined && isVersion(third) ? third : undefined;
  return { type: kind.type, deleted: kind.deleted, name, version };
}

/** The next non-empty path segment before `cursor.end`, advancing the cursor past it. */
function nextSegment(uri: string, cursor: { pos: number; end: number }): string | undefined {
  while (cursor.pos < cursor.end) {
    let next = uri.indexOf('/', cursor.pos);
    if (next < 0 || next > cursor.end) next = cursor.end;
    const start = cursor.pos;
    cursor.pos = next + 1;
    if (next > start) return uri.slice(start, next);
  }
  return undefined;
}
