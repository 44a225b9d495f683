/**
 * Event keys seen recently, for dropping duplicates without keeping a string per event alive:
 * a key (hex) is reduced to two 30-bit integers (60 bits; false matches ~n²/2⁶¹) held in two
 * generations of Maps of small integers. Keys stay known for at least one generation span.
 */
export class SeenKeys {
  private current = new Map<number, number | number[]>();
  private previous = new Map<number, number | number[]>();
  /** Generation start (event time) of `current`. */
  private since: number | undefined;

  constructor(private readonly spanMs: number) {}

  /** Records the key; returns false when it was already known. */
  add(key: string): boolean {
    const [a, b] = split(key);
    if (has(this.current, a, b) || has(this.previous, a, b)) return false;
    const had = this.current.get(a);
    if (had === undefined) this.current.set(a, b);
    else this.current.set(a, typeof had === 'number' ? [had, b] : [...had, b]);
    return true;
  }

  /** Rotates generations as event time (the watermark) advances. */
  advance(watermarkMs: number): void {
    if (this.since === undefined) this.since = watermarkMs;
    else if (watermarkMs - this.since >= this.spanMs) {
      this.previous = this.current;
      this.current = new Map();
      this.since = watermarkMs;
    }
  }

  exportState(): {
    since: number | null;
    current: [number, number | number[]][];
    previous: [number, number | number[]][];
  } {
    return { since: this.since ?? null, current: [...this.current], previous: [...this.previous] };
  }

  static fromState(spanMs: number, state: unknown): SeenKeys {
    const seen = new SeenKeys(spanMs);
    const s = state as ReturnType<SeenKeys['exportState']> | undefined;
    if (s && Array.isArray(s.current) && Array.isArray(s.previous)) {
      seen.current = new Map(s.current);
      seen.previous = new Map(s.previous);
      seen.since = s.since ?? undefined;
    }
    return seen;
  }
}

function split(key: string): [number, number] {
  // Hex keys: the first 7 and next 8 hex digits (4 bits each), masked to 30 bits. Anything else: FNV-1a.
  if (key.length >= 15) {
    let a = 0;
    let b = 0;
    let i = 0;
    for (; i < 15; i++) {
      const d = hexValue(key.charCodeAt(i));
      if (d < 0) break;
      if (i < 7) a = a * 16 + d;
      else b = b * 16 + d;
    }
    if (i === 15) return [a & 0x3fffffff, b & 0x3fffffff];
  }
  let h1 = 0x811c9dc5;
  let h2 = 0x01000193;
  for (let i = 0; i < key.length; i++) {
    const c = key.charCodeAt(i);
    h1 = Math.imul(h1 ^ c, 0x01000193);
    h2 = Math.imul(h2 ^ c, 0x5bd1e995);
  }
  return [h1 & 0x3fffffff, h2 & 0x3fffffff];
}

function hexValue(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 97 && c <= 102) return c - 87;
  if (c >= 65 && c <= 70) return c - 55;
  return -1;
}

function has(m: Map<number, number | number[]>, a: number, b: number): boolean {
  const v = m.get(a);
  return v !== undefined && (v === b || (typeof v !== 'number' && v.includes(b)));
}
