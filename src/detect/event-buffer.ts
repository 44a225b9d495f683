import type { RuleEvent } from './rule-event.js';

/** Event-time order: by time, then by event key, so equal times release deterministically. */
export function compareEvents(a: RuleEvent, b: RuleEvent): number {
  return a.timeMs - b.timeMs || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0);
}

const SLOT_MS = 1000;

/**
 * Sorts a slot in place by `compareEvents`, stably. A slot holds a second of events (a dozen or so):
 * an insertion sort allocates nothing, where `Array.prototype.sort` sets up work arrays on every call.
 */
function sortEvents(list: RuleEvent[]): void {
  if (list.length > 32) {
    list.sort(compareEvents);
    return;
  }
  for (let i = 1; i < list.length; i++) {
    const e = list[i]!;
    let j = i - 1;
    while (j >= 0 && compareEvents(list[j]!, e) > 0) {
      list[j + 1] = list[j]!;
      j--;
    }
    list[j + 1] = e;
  }
}

/**
 * The lateness buffer: a calendar queue of one-second slots. Insertion is O(1); release walks the
 * slots up to the watermark and sorts each (small) slot, so nearly-ordered input costs almost nothing.
 * Events are released in exactly (time, key) order.
 */
export class EventBuffer {
  private readonly slots = new Map<number, RuleEvent[]>();
  /** Lowest slot that may still hold events. */
  private cursor: number | undefined;
  private count = 0;

  get size(): number {
    return this.count;
  }

  push(event: RuleEvent): void {
    const slot = Math.floor(event.timeMs / SLOT_MS);
    const list = this.slots.get(slot);
    if (list) list.push(event);
    else this.slots.set(slot, [event]);
    if (this.cursor === undefined || slot < this.cursor) this.cursor = slot;
    this.count++;
  }

  /** Calls `release` for every event with `timeMs <= upTo`, in (time, key) order. */
  releaseUpTo(upTo: number, release: (e: RuleEvent) => void): void {
    if (this.count === 0 || this.cursor === undefined) return;
    const last = Math.floor(upTo / SLOT_MS);
    if (last < this.cursor) return;
    // Walk slot by slot when dense; jump through the occupied slots when the gap is large.
    if (last - this.cursor <= this.slots.size * 4) {
      for (let slot = this.cursor; slot <= last && this.count > 0; slot++)
        this.releaseSlot(slot, last, upTo, release);
    } else {
      const occupied = [...this.slots.keys()].filter((s) => s <= last).sort((a, b) => a - b);
      for (const slot of occupied) this.releaseSlot(slot, last, upTo, release);
    }
    // Every slot below `last` has been emptied; `last` itself may keep events later than `upTo`.
    this.cursor = this.count === 0 ? undefined : this.slots.has(last) ? last : last + 1;
  }

  private releaseSlot(slot: number, last: number, upTo: number, release: (e: RuleEvent) => void): void {
    const list = this.slots.get(slot);
    if (!list) return;
    if (list.length > 1) sortEvents(list);
    if (slot < last || list[list.length - 1]!.timeMs <= upTo) {
      this.slots.delete(slot);
      this.count -= list.length;
      for (const e of list) release(e);
      return;
    }
    let n = 0;
    while (n < list.length && list[n]!.timeMs <= upTo) n++;
    if (n === 0) return;
    const out = list.splice(0, n);
    this.count -= n;
    for (const e of out) release(e);
  }

  /** All buffered events, in event-time order (for checkpoints). */
  toSortedArray(): RuleEvent[] {
    return [...this.slots.values()].flat().sort(compareEvents);
  }
}
