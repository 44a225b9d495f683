/**
 * Incremental parsing of an append blob being tailed: parse the bytes read since the last
 * offset, and say how many were consumed. A half-written last line is not consumed while the
 * blob is still growing (`complete: false`); the caller re-reads from the returned offset.
 */
import type { AuditItem, MalformedRecord } from './audit-event.js';
import { bomLength, detectFormat } from './detect-format.js';
import type { ParseOutput } from './dispatch-value.js';
import { JsonLinesParser } from './line-parser.js';
import { JsonValueSplitter } from './value-splitter.js';

export interface ChunkResult {
  items: AuditItem[];
  malformed: MalformedRecord[];
  /** Bytes of `buf` fully processed; the next read starts at offset + consumedBytes. */
  consumedBytes: number;
  /** Lines consumed, so the next call's `firstLine` is firstLine + lines. */
  lines: number;
}

export function parseChunk(
  buf: Uint8Array,
  opts: { source: string; firstLine: number; complete: boolean },
): ChunkResult {
  const all = Buffer.isBuffer(buf) ? buf : Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength);
  const malformed: MalformedRecord[] = [];
  const out: ParseOutput = { items: [], source: opts.source, malformed: (m) => malformed.push(m) };
  const bom = opts.firstLine === 1 ? bomLength(all) : 0;
  const data = all.subarray(bom);
  // A whole legacy {"records":[…]} blob or array (only when it starts at the top of the input).
  if (opts.complete && opts.firstLine === 1 && detectFormat(data, true) === 'json') {
    const splitter = new JsonValueSplitter(out);
    splitter.push(data);
    splitter.end();
    const lines = splitter.line - 1 + (data[data.length - 1] === 0x0a || data.length === 0 ? 0 : 1);
    return { items: out.items, malformed, consumedBytes: all.length, lines };
  }
  const parser = new JsonLinesParser(out, opts.firstLine);
  parser.push(data);
  const pending = parser.pendingBytes;
  parser.end(opts.complete);
  const consumedBytes = opts.complete ? all.length : all.length - pending;
  return { items: out.items, malformed, consumedBytes, lines: parser.line - opts.firstLine };
}
