/**
 * Streams JSON documents that are not JSON Lines — `{"records":[…]}` blobs and Event Hub bodies,
 * bare arrays, pretty-printed or concatenated objects — without holding the document: a byte
 * scanner tracks nesting and strings, cuts out one element at a time (a record of the `records`
 * array, an array element, or a whole top-level object) and parses only that element. Memory is
 * bounded by the largest element (`maxElementBytes`); each element is reported at the line where
 * it starts.
 */
import { isUtf8 } from 'node:buffer';
import { dispatchText, type ParseOutput } from './dispatch-value.js';
import { MAX_LINE_BYTES } from './line-parser.js';

const LBRACE = 0x7b;
const RBRACE = 0x7d;
const LBRACKET = 0x5b;
const RBRACKET = 0x5d;
const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;
const NL = 0x0a;
const RECORDS = 'records';

const isSpace = (c: number): boolean => c === 0x20 || c === NL || c === 0x0d || c === 0x09;

/**
 * none: between top-level values; array: in a top-level array (elements at depth 1);
 * object: in a top-level object, captured whole unless it turns out to be a records wrapper;
 * records: in the wrapper's `records` array (elements at depth 2); rest: the wrapper after it.
 */
type Mode = 'none' | 'array' | 'object' | 'records' | 'rest';

export class JsonValueSplitter {
  line = 1;
  private mode: Mode = 'none';
  private depth = 0;
  private inString = false;
  private escape = false;
  /** Collects a short string directly inside a top-level object (a candidate `records` key). */
  private keyBuf: number[] | undefined;
  private lastKey = '';
  private junkLine = false;
  // the element being cut out
  private capturing = false;
  private scalar = false;
  private captureDepth = 0;
  private captureLine = 0;
  private captureStart = 0;
  private captureBytes = 0;
  private pieces: Buffer[] = [];
  private oversize = false;

  constructor(
    private readonly out: ParseOutput,
    private readonly maxElementBytes = MAX_LINE_BYTES,
  ) {}

  push(chunk: Buffer): void {
    this.captureStart = 0;
    const n = chunk.length;
    for (let i = 0; i < n; i++) {
      let c = chunk[i]!;
      if (this.inString) {
        if (!this.escape && this.keyBuf === undefined) {
          // most bytes are string content: skip to the next byte that matters in a tight loop
          while (c !== QUOTE && c !== BACKSLASH && c !== NL && i + 1 < n) c = chunk[++i]!;
          if (c !== QUOTE && c !== BACKSLASH && c !== NL) continue;
        }
        if (this.escape) this.escape = false;
        else if (c === BACKSLASH) this.escape = true;
        else if (c === QUOTE || c === NL) this.closeString(chunk, i);
        else if (this.keyBuf) {
          if (this.keyBuf.length < 16) this.keyBuf.push(c);
          else this.keyBuf = undefined;
        }
        if (c === NL) this.line++;
        continue;
      }
      if (c === NL) {
        this.junkLine = false;
        if (this.capturing && this.scalar) this.endCapture(chunk, i, false);
        this.line++;
        continue;
      }
      if (this.junkLine) continue;
      if (isSpace(c)) {
        if (this.capturing && this.scalar) this.endCapture(chunk, i, false);
        continue;
      }
      if (this.capturing && this.scalar) {
        if (c !== COMMA && c !== RBRACKET && c !== RBRACE) continue;
        this.endCapture(chunk, i, false);
      }
      if (this.mode === 'none') {
        this.startTopLevel(c, i);
        continue;
      }
      const elementDepth = this.mode === 'array' ? 1 : this.mode === 'records' ? 2 : -1;
      if (!this.capturing && this.depth === elementDepth && c !== COMMA && c !== RBRACKET && c !== RBRACE) {
        const scalar = c !== LBRACE && c !== LBRACKET;
        this.beginCapture(i, this.depth, scalar);
        if (scalar && c !== QUOTE) continue;
      }
      if (c === QUOTE) {
        this.inString = true;
        this.keyBuf = this.mode === 'object' && this.depth === 1 ? [] : undefined;
      } else if (c === LBRACE || c === LBRACKET) {
        if (c === LBRACKET && this.mode === 'object' && this.depth === 1 && this.lastKey === RECORDS) {
          // {"records":[…]}: stream the array's elements instead of capturing the whole wrapper
          this.dropCapture();
          this.mode = 'records';
        }
        this.depth++;
      } else if (c === RBRACE || c === RBRACKET) {
        this.depth--;
        if (this.mode === 'records' && this.depth === 1) this.mode = 'rest';
        if (this.capturing && this.depth === this.captureDepth) this.endCapture(chunk, i, true);
        if (this.depth <= 0) {
          this.depth = 0;
          this.mode = 'none';
        }
      }
    }
    if (this.capturing) this.savePiece(chunk.subarray(this.captureStart));
  }

  /**
   * End of input: an unfinished element or document is reported as truncated — unless the input
   * is not `complete` yet (still being written), when the unfinished part is simply not data yet.
   */
  end(complete = true): void {
    if (!complete) {
      this.dropCapture();
      return;
    }
    if (this.capturing && this.scalar && !this.inString) this.endCapture(Buffer.alloc(0), 0, false);
    if (this.capturing) {
      this.out.malformed({
        source: this.out.source,
        line: this.captureLine,
        reason: 'truncated: input ended inside this record',
      });
      this.dropCapture();
    } else if (this.mode !== 'none') {
      this.out.malformed({
        source: this.out.source,
        line: this.line,
        reason: 'truncated: input ended inside a JSON document',
      });
    }
  }

  private startTopLevel(c: number, i: number): void {
    if (c === LBRACKET) {
      this.mode = 'array';
      this.depth = 1;
    } else if (c === LBRACE) {
      this.mode = 'object';
      this.depth = 1;
      this.lastKey = '';
      this.beginCapture(i, 0, false);
    } else {
      this.out.malformed({
        source: this.out.source,
        line: this.line,
        reason: 'unexpected text outside a JSON value, line skipped',
      });
      this.junkLine = true;
    }
  }

  private closeString(chunk: Buffer, i: number): void {
    this.inString = false;
    if (this.keyBuf) {
      this.lastKey = String.fromCharCode(...this.keyBuf);
      this.keyBuf = undefined;
    }
    // a string that is itself an element ends at its closing quote
    if (this.capturing && this.scalar && this.depth === this.captureDepth) this.endCapture(chunk, i, true);
  }

  private beginCapture(i: number, depth: number, scalar: boolean): void {
    this.capturing = true;
    this.scalar = scalar;
    this.captureDepth = depth;
    this.captureLine = this.line;
    this.captureStart = i;
    this.captureBytes = 0;
    this.pieces = [];
    this.oversize = false;
  }

  private dropCapture(): void {
    this.capturing = false;
    this.scalar = false;
    this.pieces = [];
    this.captureBytes = 0;
  }

  private savePiece(piece: Buffer): void {
    if (this.oversize || piece.length === 0) return;
    if (this.captureBytes + piece.length > this.maxElementBytes) {
      this.oversize = true;
      this.pieces = [];
      return;
    }
    // Copy: a small element must not pin a large chunk, and callers may reuse buffers.
    this.pieces.push(Buffer.from(piece));
    this.captureBytes += piece.length;
  }

  /** Finish the current element at chunk[i] (inclusive when `inclusive`). */
  private endCapture(chunk: Buffer, i: number, inclusive: boolean): void {
    const last = chunk.subarray(this.captureStart, inclusive ? i + 1 : i);
    const { captureLine: line, pieces } = this;
    const bytes = this.captureBytes + last.length;
    const oversize = this.oversize || bytes > this.maxElementBytes;
    this.dropCapture();
    if (oversize) {
      this.out.malformed({
        source: this.out.source,
        line,
        reason: `record larger than ${Math.round(this.maxElementBytes / 1048576)} MiB, skipped`,
      });
      return;
    }
    // An element inside one chunk is parsed straight from it, without a copy.
    const buf = pieces.length === 0 ? last : Buffer.concat([...pieces, last], bytes);
    if (!isUtf8(buf)) {
      this.out.malformed({ source: this.out.source, line, reason: 'invalid UTF-8' });
      return;
    }
    dispatchText(buf.toString('utf8'), line, this.out);
  }
}
