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

/** What `push` answers when a chunk completes no item (shared, never modified). */
const NONE: AuditItem[] = [];

/**
 * One input being read: its format is decided from the first bytes (BOM stripped), then every chunk
 * goes to that format's parser. Synchronous; the generators below feed it.
 */
class InputReader {
  private readonly out: ParseOutput;
  private sink: Sink | undefined;
  private head: Buffer[] = [];
  private headBytes = 0;
  private bomChecked = false;

  constructor(private readonly opts: ReadAuditOptions) {
    this.out = { items: [], source: opts.source, malformed: opts.onMalformed };
  }

  /** Parses a chunk; returns the items completed so far (often none). */
  push(raw: Uint8Array | string): AuditItem[] {
    const chunk = toBuffer(raw);
    if (chunk.length === 0) return NONE;
    if (this.sink) this.sink.push(chunk);
    else this.pushHead(chunk);
    return drain(this.out);
  }

  /** End of input: returns the last items. */
  end(): AuditItem[] {
    if (!this.sink) {
      const joined = Buffer.concat(this.head);
      const rest = this.bomChecked ? joined : joined.subarray(bomLength(joined));
      if (rest.length > 0) {
        this.sink = sinkFor(detectFormat(rest, true) ?? 'json-lines', this.out);
        this.sink.push(rest);
      }
    }
    this.sink?.end(this.opts.complete ?? true);
    return drain(this.out);
  }

  /** Gathers the first bytes until the format can be decided, then starts its parser. */
  private pushHead(chunk: Buffer): void {
    this.head.push(Buffer.from(chunk)); // a copy: the producer may reuse its buffer for the next chunk
    this.headBytes += chunk.length;
    if (!this.bomChecked && this.headBytes < 3) return; // a BOM may be split across the first chunks
    let joined = this.head.length === 1 ? this.head[0]! : Buffer.concat(this.head, this.headBytes);
    if (!this.bomChecked) {
      joined = joined.subarray(bomLength(joined));
      this.bomChecked = true;
    }
    const format = detectFormat(joined, joined.length > MAX_LINE_BYTES);
    this.head = [joined];
    this.headBytes = joined.length;
    if (format === undefined) return;
    this.sink = sinkFor(format, this.out);
    this.head = [];
    this.sink.push(joined);
  }
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
  const reader = new InputReader(opts);
  for await (const raw of input as AsyncIterable<Uint8Array | string>) {
    const items = reader.push(raw);
    if (items.length > 0) yield items;
  }
  const last = reader.end();
  if (last.length > 0) yield last;
}

/** Read audit items from a byte stream (a file, a blob download, stdin), one at a time. */
export async function* readAuditStream(
  input: AsyncIterable<Uint8Array> | NodeJS.ReadableStream,
  opts: ReadAuditOptions,
): AsyncGenerator<AuditItem> {
  const reader = new InputReader(opts);
  for await (const raw of input as AsyncIterable<Uint8Array | string>)
    for (const item of reader.push(raw)) yield item;
  for (const item of reader.end()) yield item;
}

function drain(out: ParseOutput): AuditItem[] {
  return out.items.length === 0 ? NONE : out.items.splice(0, out.items.length);
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
