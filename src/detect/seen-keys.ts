/**
 * Event keys seen recently, for dropping duplicates without keeping a string per event alive:
 * a key (hex) is reduced to two 30-bit integers (60 bits; false matches ~n²/2⁶¹) held in two
 * generations of flat integer tables. Keys stay known for at least one generation span.
 */
export class SeenKeys {
  private current = new KeyTable();
  private previous = new KeyTable();
  /** Generation start (event time) of `current`. */
  private since: number | undefined;

  constructor(private readonly spanMs: number) {}

  /** Records the key; returns false when it was already known. */
  add(key: string): boolean {
    const [a, b] = split(key);
    if (this.previous.size > 0 && this.previous.has(a, b)) return false;
    return this.current.add(a, b);
  }

  /** Rotates generations as event time (the watermark) advances. */
  advance(watermarkMs: number): void {
    if (this.since === undefined) this.since = watermarkMs;
    else if (watermarkMs - this.since >= this.spanMs) {
      this.previous = this.current;
      this.current = new KeyTable(this.previous.size);
      this.since = watermarkMs;
    }
  }

  /** Checkpoint form: each generation as `[a, b | b[]]` entries (the format of earlier versions). */
  exportState(): {
    since: number | null;
    current: [number, number | number[]][];
    previous: [number, number | number[]][];
  } {
    return { since: this.since ?? null, current: this.current.entries(), previous: this.previous.entries() };
  }

  static fromState(spanMs: number, state: unknown): SeenKeys {
    const seen = new SeenKeys(spanMs);
    const s = state as ReturnType<SeenKeys['exportState']> | undefined;
    if (s && Array.isArray(s.current) && Array.isArray(s.previous)) {
      seen.current = KeyTable.fromEntries(s.current);
      seen.previous = KeyTable.fromEntries(s.previous);
      seen.since = s.since ?? undefined;
    }
    return seen;
  }
}

/**
 * A set of (a, b) integer pairs in one typed array, open addressing with linear probing: a lookup
 * reads one or two neighbouring slots instead of chasing hash-map entries (the keys are hash
 * digits, so `a` is already well spread). Slot i holds a + 1 (0 = empty) at 2i and b at 2i + 1.
 */
class KeyTable {
  size = 0;
  private slots: Int32Array;
  private mask: number;

  constructor(expected = 0) {
    let capacity = 1024;
    while (capacity < expected * 2) capacity *= 2;
    this.slots = new Int32Array(capacity * 2);
    this.mask = capacity - 1;
  }

  has(a: number, b: number): boolean {
    const slots = this.slots;
    for (let i = a & this.mask; ; i = (i + 1) & this.mask) {
      const k = slots[2 * i]!;
      if (k === 0) return false;
      if (k === a + 1 && slots[2 * i + 1] === b) return true;
    }
  }

  /** Adds the pair; false when it was already there. */
  add(a: number, b: number): boolean {
    const slots = this.slots;
    let i = a & this.mask;
    for (; ; i = (i + 1) & this.mask) {
      const k = slots[2 * i]!;
      if (k === 0) break;
      if (k === a + 1 && slots[2 * i + 1] === b) return false;
    }
    slots[2 * i] = a + 1;
    slots[2 * i + 1] = b;
    if (++this.size * 2 > this.mask + 1) this.grow();
    return true;
  }

  entries(): [number, number | number[]][] {
    const byA = new Map<number, number | number[]>();
    for (let i = 0; i <= this.mask; i++) {
      const k = this.slots[2 * i]!;
      if (k === 0) continue;
      const b = this.slots[2 * i + 1]!;
      const had = byA.get(k - 1);
      byA.set(k - 1, had === undefined ? b : typeof had === 'number' ? [had, b] : [...had, b]);
    }
    return [...byA];
  }

  static fromEntries(entries: [number, number | number[]][]): KeyTable {
    const table = new KeyTable(entries.length);
    for (const [a, bs] of entries) for (const b of typeof bs === 'number' ? [bs] : bs) table.add(a, b);
    return table;
  }

  private grow(): void {
    const old = this.slots;
    this.slots = new Int32Array(old.length * 2);
    this.mask = old.length - 1;
    this.size = 0;
    for (let i = 0; i < old.length; i += 2) if (old[i] !== 0) this.add(old[i]! - 1, old[i + 1]!);
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
