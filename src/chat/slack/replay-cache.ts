import type { Clock } from '../../util/clock.js';

/**
 * Remembers request signatures for as long as their timestamp could still pass the age check, so a
 * captured request cannot be replayed inside the five-minute window. Only verified requests are
 * recorded, so the size is bounded by genuine traffic.
 */
export class ReplayCache {
  private readonly seen = new Map<string, number>();

  constructor(
    private readonly clock: Clock,
    private readonly ttlMs: number,
  ) {}

  /** Records the key; false when it was already seen within the TTL (a replay). */
  firstSighting(key: string): boolean {
    const now = this.clock.now();
    this.prune(now);
    const expires = this.seen.get(key);
    if (expires !== undefined && expires > now) return false;
    this.seen.set(key, now + this.ttlMs);
    return true;
  }

  get size(): number {
    return this.seen.size;
  }

  private prune(now: number): void {
    // Map iteration is insertion order and every entry has the same TTL, so expired ones come first.
    for (const [key, expires] of this.seen) {
      if (expires > now) break;
      this.seen.delete(key);
    }
  }
}
