import { describe, expect, it } from 'vitest';
import { EventBuffer } from '../../src/detect/event-buffer.js';
import { auditEvent, DAY, T0 } from '../fixtures/events.js';

describe('EventBuffer', () => {
  const events = Array.from({ length: 400 }, (_, i) => auditEvent({ at: T0 + ((i * 7919) % 997) * 250 }));
  const sorted = [...events]
    .sort((a, b) => a.timeMs - b.timeMs || (a.key < b.key ? -1 : 1))
    .map((e) => e.key);

  it('releases exactly the events up to the bound, in (time, key) order, across partial slots', () => {
    const buffer = new EventBuffer();
    for (const e of events) buffer.push(e);
    const out: string[] = [];
    for (const bound of [T0 + 1234, T0 + 1234, T0 + 60_500, T0 + 60_999, T0 + 300_000])
      buffer.releaseUpTo(bound, (e) => {
        expect(e.timeMs).toBeLessThanOrEqual(bound);
        out.push(e.key);
      });
    expect(buffer.size).toBe(0);
    expect(out).toEqual(sorted);
  });

  it('jumps across a long gap and still releases late arrivals first', () => {
    const buffer = new EventBuffer();
    const far = auditEvent({ at: T0 + 400 * DAY });
    const near = auditEvent({ at: T0 });
    buffer.push(far);
    buffer.push(near);
    const out: number[] = [];
    buffer.releaseUpTo(T0 + 500 * DAY, (e) => out.push(e.timeMs));
    expect(out).toEqual([T0, T0 + 400 * DAY]);
    const late = auditEvent({ at: T0 - DAY });
    buffer.push(late);
    buffer.releaseUpTo(T0 + 500 * DAY, (e) => out.push(e.timeMs));
    expect(out.at(-1)).toBe(T0 - DAY);
    expect(buffer.toSortedArray()).toEqual([]);
  });
});
