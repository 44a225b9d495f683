import { InvalidParameterError } from '../../errors.js';

/** Azure limits a string property to 64 KiB (32 K UTF-16 units) and an entity to 1 MiB in total. */
const CHUNK_CHARS = 30_000;
const MAX_CHUNKS = 15;
export const MAX_BODY_CHARS = CHUNK_CHARS * MAX_CHUNKS;

/**
 * JSON with every non-ASCII character written as a `\uXXXX` escape. Pure ASCII keeps the property sizes exact
 * and survives proxies/emulators that decode request bodies in fixed-size byte chunks (Azurite splits
 * multi-byte UTF-8 characters at 64 KiB boundaries). `JSON.parse` reads it back unchanged.
 */
export function asciiJson(value: unknown): string {
  return JSON.stringify(value).replace(
    /[\u007f-\uffff]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}

/** Splits an ASCII JSON body over `body0`, `body1`, … string properties. */
export function splitBody(json: string): Record<string, string | number> {
  if (json.length > MAX_BODY_CHARS) {
    throw new InvalidParameterError(
      'document',
      `a stored document is limited to ${MAX_BODY_CHARS} characters of JSON in Azure Table storage (got ${json.length})`,
    );
  }
  const out: Record<string, string | number> = {};
  let part = 0;
  for (let start = 0; start < json.length || part === 0; part++) {
    const end = Math.min(start + CHUNK_CHARS, json.length);
    out[`body${part}`] = json.slice(start, end);
    start = end;
  }
  out.bodyParts = part;
  return out;
}

/** Reassembles what `splitBody` wrote. */
export function joinBody(entity: Record<string, unknown>): string {
  const parts = Number(entity.bodyParts ?? 1);
  let json = '';
  for (let i = 0; i < parts; i++) json += String(entity[`body${i}`] ?? '');
  return json;
}
