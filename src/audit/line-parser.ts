/**
 * JSON Lines, fed chunk by chunk with bounded memory: only the unfinished last line is kept, and
 * a line longer than `maxLineBytes` is dropped as it streams (reported once, never buffered whole).
 * One `JSON.parse` per line; UTF-8 validity is checked once per block of complete lines.
 */
import { isUtf8 } from 'node:buffer';
import { dispatchText, type ParseOutput } from './dispatch-value.js';

export const MAX_LINE_BYTES = 4 * 1024 * 1024;
/**
 * Lines are decoded to text in slices of at most this many bytes (cut at a line end). V8 puts a
 * string of 128 KiB or more in its large-object space, i.e. freshly mapped memory for every
 * chunk; in a VM each first touch of such a page is a page fault that can cost tens of µs, which
 * made reading several times slower and its speed depend on the host rather than on the input.
 */
export const DECODE_SLICE_BYTES = 64 * 1024;
const NL = 0x0a;

/** How a line longer than the limit is reported. */
export function tooLongReason(maxLineBytes: number): string {
  return `line longer than ${Math.round(maxLineBytes / 1048576)} MiB, skipped`;
}

export class JsonLinesParser {
  /** Number of the line the next byte belongs to. */
  line: number;
  private carry: Buffer[] = [];
  private carryBytes = 0;
  /** Line number of an oversized line being skipped, or 0. */
  private skipping = 0;

  constructor(
    private readonly out: ParseOutput,
    firstLine = 1,
    private readonly maxLineBytes = MAX_LINE_BYTES,
  ) {
    this.line = firstLine;
  }

  /** Bytes held for an unfinished last line. */
  get pendingBytes(): number {
    return this.carryBytes;
  }

  push(chunk: Buffer): void {
    let start = 0;
    if (this.carryBytes > 0 || this.skipping > 0) {
      const nl = chunk.indexOf(NL);
      if (nl < 0) {
        this.hold(chunk);
        return;
      }
      this.hold(chunk.subarray(0, nl + 1));
      this.finishCarry();
      start = nl + 1;
    }
    const last = chunk.lastIndexOf(NL);
    if (last >= start) {
      this.block(chunk, start, last + 1);
      start = last + 1;
    }
    if (start < chunk.length) this.hold(chunk.subarray(start));
  }

  /**
   * End of input. With `complete` the unfinished last line is parsed as data; without it the
   * line is still being written and is left alone (not data, not an error).
   */
  end(complete: boolean): void {
    if (!complete) return;
    if (this.carryBytes > 0 || this.skipping > 0) this.finishCarry();
  }

  private hold(part: Buffer): void {
    if (this.skipping > 0) return;
    if (this.carryBytes + part.length > this.maxLineBytes) {
      this.skipping = this.line;
      this.carry = [];
      this.carryBytes = 0;
      return;
    }
    // Copy: the caller may reuse its buffer, and a small tail must not pin a large chunk.
    this.carry.push(Buffer.from(part));
    this.carryBytes += part.length;
  }

  private finishCarry(): void {
    if (this.skipping > 0) {
      this.tooLong(this.skipping);
      this.skipping = 0;
      this.line++;
      return;
    }
    const buf = this.carry.length === 1 ? this.carry[0]! : Buffer.concat(this.carry, this.carryBytes);
    this.carry = [];
    this.carryBytes = 0;
    this.block(buf, 0, buf.length);
  }

  private tooLong(line: number): void {
    this.out.malformed({
      source: this.out.source,
      line,
      reason: tooLongReason(this.maxLineBytes),
    });
  }

  /** Complete lines in buf[start, end): every line ends with \n except possibly the last. */
  private block(buf: Buffer, start: number, end: number): void {
    let from = start;
    while (end - from > DECODE_SLICE_BYTES) {
      // Cut after the last line end within the slice; a longer line is decoded on its own.
      let cut = buf.lastIndexOf(NL, from + DECODE_SLICE_BYTES - 1);
      if (cut < from) cut = buf.indexOf(NL, from);
      if (cut < 0 || cut >= end - 1) break;
      this.lines(buf.subarray(from, cut + 1));
      from = cut + 1;
    }
    this.lines(buf.subarray(from, end));
  }

  private lines(region: Buffer): void {
    if (isUtf8(region)) {
      const text = region.toString('utf8');
      let pos = 0;
      while (pos < text.length) {
        let nl = text.indexOf('\n', pos);
        if (nl < 0) nl = text.length;
        if (nl - pos > this.maxLineBytes) this.tooLong(this.line);
        else if (nl > pos) this.lineText(text.slice(pos, nl));
        pos = nl + 1;
        this.line++;
      }
      return;
    }
    let pos = 0;
    while (pos < region.length) {
      let nl = region.indexOf(NL, pos);
      if (nl < 0) nl = region.length;
      const lineBuf = region.subarray(pos, nl);
      if (lineBuf.length > this.maxLineBytes) this.tooLong(this.line);
      else if (!isUtf8(lineBuf))
        this.out.malformed({ source: this.out.source, line: this.line, reason: 'invalid UTF-8' });
      else if (lineBuf.length > 0) this.lineText(lineBuf.toString('utf8'));
      pos = nl + 1;
      this.line++;
    }
  }

  private lineText(text: string): void {
    const c = text.charCodeAt(0);
    // Blank or whitespace-only lines (incl. a lone \r) are not records.
    if ((c === 0x20 || c === 0x0d || c === 0x09) && text.trim() === '') return;
    dispatchText(text, this.line, this.out);
  }
}
