import { InvalidParameterError } from '../../errors.js';

/**
 * Azure Table keys forbid `/ \ # ?` and control characters and hold at most 1 KiB. Ids are encoded as the
 * lowercase hex of their UTF-8 bytes: reversible, always legal, and order- and prefix-preserving
 * (hex of bytes sorts like the bytes, i.e. by code point), so a prefix scan is a RowKey range.
 */
export function encodeKey(id: string): string {
  const hex = Buffer.from(id, 'utf8').toString('hex');
  if (hex.length > 1024) {
    throw new InvalidParameterError(
      'id',
      `ids are limited to 512 UTF-8 bytes in Azure Table storage (${id.length} chars given)`,
    );
  }
  return hex;
}

export function decodeKey(rowKey: string): string {
  return Buffer.from(rowKey, 'hex').toString('utf8');
}

/** OData filter bounds for "RowKey starts with the encoding of `prefix`": [lower, upper). */
export function prefixRange(prefix: string): { lower: string; upper: string } {
  const lower = encodeKey(prefix);
  // Every encoded key is [0-9a-f]*, so appending '~' (above 'f') bounds every extension of `lower`.
  return { lower, upper: `${lower}~` };
}

/** Collections are fixed names chosen by code; they are used as PartitionKeys verbatim. */
export function checkCollection(collection: string): string {
  if (!/^[A-Za-z0-9._-]{1,100}$/.test(collection)) {
    throw new InvalidParameterError('collection', `"${collection}" must be letters, digits, . _ -`);
  }
  return collection;
}
