import type { AuditEvent, AuditItem } from '../audit/audit-event.js';
import type { Detection } from './detection.js';
import { DetectionEngine, type EngineOptions } from './engine.js';
import { compareGroups, type DetectionGroup, Grouper } from './group.js';

/** One input of a batch run: opened lazily, so only the inputs that overlap in time are open together. */
export interface BatchInput {
  /** Stable name used to break ties (file path). */
  readonly name: string;
  /** Time of its first audit event (undefined when it has none). */
  readonly firstTimeMs: number | undefined;
  open(): AsyncIterable<AuditItem>;
}

interface Cursor {
  readonly it: AsyncIterator<AuditItem>;
  readonly rank: number;
  head: AuditEvent;
}

/** The next audit event of an input (notices are skipped), undefined at its end. */
async function nextEvent(it: AsyncIterator<AuditItem>): Promise<AuditEvent | undefined> {
  for (let r = await it.next(); !r.done; r = await it.next())
    if (r.value.kind === 'audit') return r.value.event;
  return undefined;
}

/**
 * Batch detection over many inputs (`kv-warden detect`): inputs are ordered by their first event and
 * merged by event time (each input is read as a stream; an input is opened only when the merge reaches
 * its first event), then fed to one DetectionEngine whose lateness buffer absorbs the disorder inside an
 * input. Detections are grouped by fingerprint within the grouping window. The result does not depend on
 * the order the inputs were given in. Returns the groups in a deterministic order.
 */
export async function detectBatch(
  inputs: readonly BatchInput[],
  options: EngineOptions,
): Promise<DetectionGroup[]> {
  const engine = new DetectionEngine(options);
  const grouper = new Grouper(options.detection.groupingWindow);
  const done: DetectionGroup[] = [];
  const take = (ds: readonly Detection[]) => {
    for (const d of ds) {
      const closed = grouper.add(d);
      if (closed) done.push(closed);
    }
  };
  const pending = [...inputs].sort(
    (a, b) =>
      (a.firstTimeMs ?? Number.NEGATIVE_INFINITY) - (b.firstTimeMs ?? Number.NEGATIVE_INFINITY) ||
      (a.name < b.name ? -1 : a.name > b.name ? 1 : 0),
  );
  const active: Cursor[] = [];
  let next = 0;
  for (;;) {
    let min: Cursor | undefined;
    for (const c of active) if (!min || before(c, min)) min = c;
    while (next < pending.length) {
      const input = pending[next]!;
      if (min && input.firstTimeMs !== undefined && input.firstTimeMs > min.head.timeMs) break;
      next++;
      const it = input.open()[Symbol.asyncIterator]();
      const head = await nextEvent(it);
      if (!head) continue;
      const c: Cursor = { it, rank: next, head };
      active.push(c);
      if (!min || before(c, min)) min = c;
    }
    if (!min) break;
    take(engine.push(min.head));
    // Inline fast path of nextEvent: one await per event.
    let r = await min.it.next();
    while (!r.done && r.value.kind !== 'audit') r = await min.it.next();
    if (!r.done && r.value.kind === 'audit') min.head = r.value.event;
    else active.splice(active.indexOf(min), 1);
  }
  take(engine.flush());
  done.push(...grouper.closeAll());
  return done.sort(compareGroups);
}

function before(a: Cursor, b: Cursor): boolean {
  return a.head.timeMs < b.head.timeMs || (a.head.timeMs === b.head.timeMs && a.rank < b.rank);
}
