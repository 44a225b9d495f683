import type { AuditEvent } from '../audit/audit-event.js';

/** Event-time order: by time, then by event key, so equal times release deterministically. */
export function compareEvents(a: AuditEvent, b: AuditEvent): number {
  return a.timeMs - b.timeMs || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0);
}

/** A binary min-heap of events in event-time order: the lateness buffer of the engine. */
export class EventBuffer {
  private readonly heap: AuditEvent[] = [];

  get size(): number {
    return this.heap.length;
  }

  peek(): AuditEvent | undefined {
    return this.heap[0];
  }

  push(event: AuditEvent): void {
    const h = this.heap;
    h.push(event);
    let i = h.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (compareEvents(h[parent]!, h[i]!) <= 0) break;
      [h[parent], h[i]] = [h[i]!, h[parent]!];
      i = parent;
    }
  }

  pop(): AuditEvent | undefined {
    const h = this.heap;
    const top = h[0];
    const last = h.pop();
    if (h.length > 0 && last) {
      h[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < h.length && compareEvents(h[l]!, h[m]!) < 0) m = l;
        if (r < h.length && compareEvents(h[r]!, h[m]!) < 0) m = r;
        if (m === i) break;
        [h[m], h[i]] = [h[i]!, h[m]!];
        i = m;
      }
    }
    return top;
  }

  /** All buffered events, in event-time order (for checkpoints). */
  toSortedArray(): AuditEvent[] {
    return [...this.heap].sort(compareEvents);
  }
}
