import type { AuditItem, MalformedRecord } from '../../audit/audit-event.js';
import { parseAuditBody } from '../../audit/parse-body.js';
import { parseChunk } from '../../audit/parse-chunk.js';
import type { Logger } from '../../util/logger.js';
import type { BlobCheckpoint, BlobCheckpoints } from './blob-checkpoints.js';
import type { BlobContainer, BlobInfo } from './blob-container.js';
import type { ForwarderSink } from './forwarder-sink.js';

export interface TailOptions {
  readonly container: BlobContainer;
  readonly checkpoints: BlobCheckpoints;
  readonly sink: ForwarderSink;
  readonly logger: Logger;
  /** Bytes per ranged read (default 1 MiB): bounds memory whatever the blob size. */
  readonly chunkBytes?: number;
  readonly onMalformed?: (m: MalformedRecord) => void;
}

export interface TailResult {
  readonly bytes: number;
  readonly records: number;
  /** The checkpoint reached the blob's end as listed. */
  readonly caughtUp: boolean;
}

/**
 * Forwards what is new in one blob since its checkpoint.
 * Append blobs (JSON Lines): ranged reads from the stored byte offset; only complete lines are consumed, so a
 * half-written last line waits for the next poll — unless the blob is `settled` (its hour is long over),
 * when a broken tail is reported as malformed. Block blobs (legacy `{"records":[…]}`) are read whole once per ETag.
 * The checkpoint moves only after the sink resolved for the bytes it covers.
 */
export async function tailBlob(
  blob: BlobInfo & { vault: string },
  settled: boolean,
  o: TailOptions,
): Promise<TailResult> {
  const cp = await o.checkpoints.get(blob.name);
  return blob.append ? tailAppend(blob, settled, cp, o) : readWhole(blob, cp, o);
}

async function tailAppend(
  blob: BlobInfo & { vault: string },
  settled: boolean,
  cp: { value: BlobCheckpoint; version: string } | undefined,
  o: TailOptions,
): Promise<TailResult> {
  const chunkBytes = o.chunkBytes ?? 1024 * 1024;
  let offset = cp?.value.offset ?? 0;
  let line = cp?.value.line ?? 1;
  let version = cp?.version;
  let carry: Buffer = Buffer.alloc(0);
  let bytes = 0;
  let records = 0;
  const source = `blob:${blob.name}`;
  // The next range is fetched while the current one is parsed and sent (I/O overlaps CPU; 2 ranges in memory).
  let readPos = offset;
  const fetch = (at: number) => {
    const p = o.container.read(blob.name, at, chunkBytes);
    p.catch(() => {});
    return p;
  };
  let pending: Promise<Buffer | undefined> = fetch(readPos);
  for (;;) {
    const next = await pending;
    if (!next || next.length === 0) break;
    readPos += next.length;
    const more = next.length >= chunkBytes;
    pending = more ? fetch(readPos) : Promise.resolve(undefined);
    const buf = carry.length === 0 ? next : Buffer.concat([carry, next]);
    const atListedEnd = offset + buf.length >= blob.size;
    const r = parseChunk(buf, {
      source,
      firstLine: line,
      complete: settled && atListedEnd && !more,
    });
    if (r.consumedBytes === 0) {
      carry = buf;
      if (!more) break;
      continue;
    }
    const malformedLines = new Set(r.malformed.map((m) => m.line));
    for (const m of r.malformed) o.onMalformed?.(m);
    await o.sink.deliver({
      blob: blob.name,
      vault: blob.vault,
      firstLine: line,
      raw: buf.subarray(0, r.consumedBytes),
      items: r.items,
      malformedLines,
    });
    offset += r.consumedBytes;
    line += r.lines;
    bytes += r.consumedBytes;
    records += r.items.length;
    carry = buf.subarray(r.consumedBytes);
    const caughtUp = offset >= blob.size;
    version = await o.checkpoints.put(
      blob.name,
      {
        offset,
        line,
        ...(caughtUp
          ? { caughtUpMs: blob.lastModifiedMs }
          : cp?.value.caughtUpMs !== undefined
            ? { caughtUpMs: cp.value.caughtUpMs }
            : {}),
      },
      version,
    );
  }
  return { bytes, records, caughtUp: offset >= blob.size };
}

async function readWhole(
  blob: BlobInfo & { vault: string },
  cp: { value: BlobCheckpoint; version: string } | undefined,
  o: TailOptions,
): Promise<TailResult> {
  if (cp && cp.value.etag === blob.etag) return { bytes: 0, records: 0, caughtUp: true };
  const parts: Buffer[] = [];
  let at = 0;
  for (;;) {
    const next = await o.container.read(blob.name, at, o.chunkBytes ?? 1024 * 1024);
    if (!next || next.length === 0) break;
    parts.push(next);
    at += next.length;
  }
  const raw = Buffer.concat(parts);
  const source = `blob:${blob.name}`;
  let parsed: { items: AuditItem[]; malformed: MalformedRecord[] };
  try {
    parsed = parseAuditBody(raw, source);
  } catch (err) {
    parsed = { items: [], malformed: [{ source, line: 1, reason: (err as Error).message }] };
  }
  for (const m of parsed.malformed) o.onMalformed?.(m);
  await o.sink.deliver({
    blob: blob.name,
    vault: blob.vault,
    firstLine: 1,
    raw,
    items: parsed.items,
    malformedLines: new Set(),
    whole: true,
  });
  await o.checkpoints.put(
    blob.name,
    { offset: raw.length, line: 1, etag: blob.etag, caughtUpMs: blob.lastModifiedMs },
    cp?.version,
  );
  return { bytes: raw.length, records: parsed.items.length, caughtUp: true };
}
