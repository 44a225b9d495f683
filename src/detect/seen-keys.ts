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
  // Hex keys give 4 bits a character; any other key is hashed (FNV-1a) into the same two numbers.
  if (/^[0-9a-f]{15,}$/i.test(key))
    return [
      Number.parseInt(key.slice(0, 7), 16) & 0x3fffffff,
      Number.parseInt(key.slice(7, 15), 16) & 0x3fffffff,
    ];
  let h1 = 0x811c9dc5;
  let h2 = 0x01000193;
  for (let i = 0; i < key.length; i++) {
    const c = key.charCodeAt(i);
    h1 = Math.imul(h1 ^ c, 0x01000193);
    h2 = Math.imul(h2 ^ c, 0x5bd1e995);
  }
  return [h1 & 0x3fffffff, h2 & 0x3fffffff];
}

function has(m: Map<number, number | number[]>, a: number, b: number): boolean {
  const v = m.get(a);
  return v !== undefined && (v === b || (typeof v !== 'number' && v.includes(b)));
}
