/**
 * Streaming readers for audit input of any shape: the format is detected per input from its
 * first bytes (UTF-8 BOM stripped), then JSON Lines are read line by line and JSON documents
 * (`{"records":[…]}`, arrays) element by element, so memory stays bounded whatever the size.
 * Malformed records are reported through `onMalformed` and skipped; the rest continues.
 */
import { createReadStream } from 'node:fs';
import type { AuditItem, MalformedRecord } from './audit-event.js';
import { bomLength, detectFormat } from './detect-format.js';
import type { ParseOutput } from './dispatch-value.js';
import { DECODE_SLICE_BYTES, JsonLinesParser, MAX_LINE_BYTES } from './line-parser.js';
import { JsonValueSplitter } from './value-splitter.js';

export interface ReadAuditOptions {
  /** Name used in malformed reports (`source:line: reason`), e.g. the file path or blob name. */
  source: string;
  onMalformed(m: MalformedRecord): void;
  /**
   * False while the input may still grow (an append blob of the current hour): a half-written
   * last line is then "not complete yet" — neither data nor an error. Default true.
   */
  complete?: boolean;
}

interface Sink {
  push(chunk: Buffer): void;
  end(complete: boolean): void;
}

function sinkFor(format: 'json-lines' | 'json', out: ParseOutput): Sink {
  if (format === 'json-lines') return new JsonLinesParser(out);
  const splitter = new JsonValueSplitter(out);
  return { push: (c) => splitter.push(c), end: (complete) => splitter.end(complete) };
}

function toBuffer(chunk: Uint8Array | string): Buffer {
  if (typeof chunk === 'string') return Buffer.from(chunk, 'utf8');
  return Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
}

/**
 * Read audit items from a byte stream (a file, a blob download, stdin), a batch at a time: the items
 * of each chunk read, in order (never an empty batch). A chunk is fully used (or copied) before the
 * next is requested, so the producer may reuse its buffers. Consumers that handle many items per second
 * take them this way, so they pay for one `await` per chunk instead of one per item.
 */
export async function* readAuditBatches(
  input: AsyncIterable<Uint8Array> | NodeJS.ReadableStream,
  opts: ReadAuditOptions,
): AsyncGenerator<AuditItem[]> {
  const out: ParseOutput = { items: [], source: opts.source, malformed: opts.onMalformed };
  let sink: Sink | undefined;
  let head: Buffer[] = [];
  let headBytes = 0;
  let bomChecked = false;
  for await (const raw of input as AsyncIterable<Uint8Array | string>) {
    const chunk = toBuffer(raw);
    if (chunk.length === 0) continue;
    if (sink) sink.push(chunk);
    else {
      head.push(Buffer.from(chunk)); // a copy: the producer may reuse its buffer for the next chunk
      headBytes += chunk.length;
      if (!bomChecked && headBytes < 3) continue; // a BOM may be split across the first chunks
      let joined = head.length === 1 ? head[0]! : Buffer.concat(head, headBytes);
      if (!bomChecked) {
        joined = joined.subarray(bomLength(joined));
        bomChecked = true;
      }
      const format = detectFormat(joined, joined.length > MAX_LINE_BYTES);
      head = [joined];
      headBytes = joined.length;
      if (format === undefined) continue;
      sink = sinkFor(format, out);
      head = [];
      sink.push(joined);
    }
    if (out.items.length > 0) yield drain(out);
  }
  if (!sink) {
    const joined = Buffer.concat(head);
    const rest = bomChecked ? joined : joined.subarray(bomLength(joined));
    if (rest.length > 0) {
      sink = sinkFor(detectFormat(rest, true) ?? 'json-lines', out);
      sink.push(rest);
    }
  }
  sink?.end(opts.complete ?? true);
  if (out.items.length > 0) yield drain(out);
}

/** Read audit items from a byte stream (a file, a blob download, stdin), one at a time. */
export async function* readAuditStream(
  input: AsyncIterable<Uint8Array> | NodeJS.ReadableStream,
  opts: ReadAuditOptions,
): AsyncGenerator<AuditItem> {
  for await (const batch of readAuditBatches(input, opts)) for (const it of batch) yield it;
}

function drain(out: ParseOutput): AuditItem[] {
  return out.items.splice(0, out.items.length);
}

/**
 * Read a local file of audit data in any shape; `source` defaults to the path. Leaving the loop early
 * closes the file, as `for await` over a file stream does.
 */
export function readAuditFile(
  path: string,
  opts: { onMalformed(m: MalformedRecord): void; source?: string },
): AsyncGenerator<AuditItem> {
  return readAuditStream(fileStream(path), readOptions(path, opts));
}

/** `readAuditFile`, a batch of items at a time (see `readAuditBatches`). */
export function readAuditFileBatches(
  path: string,
  opts: { onMalformed(m: MalformedRecord): void; source?: string },
): AsyncGenerator<AuditItem[]> {
  return readAuditBatches(fileStream(path), readOptions(path, opts));
}

function fileStream(path: string): NodeJS.ReadableStream {
  // Reads no larger than the decode slice: a bigger buffer would only be cut up again. (Reusing two
  // 1 MiB buffers instead saved thread-pool round trips but raised peak RSS: with fewer turns of the
  // event loop, V8's GC tasks ran later and the heap grew further between collections.)
  return createReadStream(path, { highWaterMark: DECODE_SLICE_BYTES });
}

function readOptions(
  path: string,
  opts: { onMalformed(m: MalformedRecord): void; source?: string },
): ReadAuditOptions {
  return { source: opts.source ?? path, onMalformed: opts.onMalformed, complete: true };
}
