/**
 * Parses the lines of a JSON Lines file that start in a byte range, reading on past the range to finish
 * the last one, so consecutive ranges cover every line exactly once. Used by the parse workers and by the
 * detecting thread when it would otherwise wait for them. Reads with one reused buffer per thread.
 */
import { readSync } from 'node:fs';
import type { AuditEvent } from '../../audit/audit-event.js';
import type { ParseOutput } from '../../audit/dispatch-value.js';
import { JsonLinesParser } from '../../audit/line-parser.js';

const NL = 0x0a;
const PIECE_BYTES = 256 * 1024;
let piece: Buffer | undefined;

/** The audit events of a range, its malformed lines numbered from the range's first line, and its line count. */
export interface RangeResult {
  readonly events: AuditEvent[];
  readonly malformed: [line: number, reason: string][];
  readonly lines: number;
}

/** Reads up to PIECE_BYTES at `pos`; an empty buffer at the end of the file. */
function readAt(fd: number, pos: number, max = PIECE_BYTES): Buffer {
  piece ??= Buffer.allocUnsafe(PIECE_BYTES);
  const n = readSync(fd, piece, 0, Math.min(max, PIECE_BYTES), pos);
  return piece.subarray(0, n);
}

/** Position of the first line start in [start, end), or -1 when no line starts there. */
function firstLineStart(fd: number, start: number, end: number): number {
  // A line starts at `start` when the byte before it ends a line; else after the first line end in range.
  for (let pos = start - 1; pos < end - 1; ) {
    const buf = readAt(fd, pos, end - 1 - pos);
    if (buf.length === 0) return -1;
    const nl = buf.indexOf(NL);
    if (nl >= 0) return pos + nl + 1;
    pos += buf.length;
  }
  return -1;
}

/**
 * Parses the lines of the file open as `fd` that start in [start, end); `lineStart` when a line is
 * known to start at `start` (the first range, after any BOM). The file is taken as complete: an
 * unterminated last line is data.
 */
export function parseRange(fd: number, start: number, end: number, lineStart: boolean): RangeResult {
  const malformed: [number, string][] = [];
  const out: ParseOutput = { items: [], source: '', malformed: (m) => malformed.push([m.line, m.reason]) };
  const from = lineStart ? start : firstLineStart(fd, start, end);
  if (from < 0 || from >= end) return { events: [], malformed, lines: 0 };
  const parser = new JsonLinesParser(out);
  for (let pos = from; ; ) {
    const buf = readAt(fd, pos);
    if (buf.length === 0) break;
    // Past the range, stop at the end of the line that started in it.
    const stopFrom = Math.max(0, end - 1 - pos);
    const nl = stopFrom < buf.length ? buf.indexOf(NL, stopFrom) : -1;
    if (nl >= 0) {
      parser.push(buf.subarray(0, nl + 1));
      break;
    }
    parser.push(buf);
    pos += buf.length;
  }
  parser.end(true);
  const events: AuditEvent[] = [];
  for (const item of out.items) if (item.kind === 'audit') events.push(item.event);
  return { events, malformed, lines: parser.line - 1 };
}
