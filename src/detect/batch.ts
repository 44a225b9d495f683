import type { Detection } from './detection.js';
import { DetectionEngine, type EngineOptions } from './engine.js';
import { compareGroups, type DetectionGroup, Grouper } from './group.js';
import type { RuleEvent } from './rule-event.js';

/** One input of a batch run: opened lazily, so only the inputs that overlap in time are open together. */
export interface BatchInput {
  /** Stable name used to break ties (file path). */
  readonly name: string;
  /** Time of its first audit event (undefined when it has none). */
  readonly firstTimeMs: number | undefined;
  /** The input's audit events, a batch at a time in input order (e.g. `readEventBatches`). */
  open(): AsyncIterable<readonly RuleEvent[]>;
}

/** Where the merge stands in one input: its current batch and the event it is at. */
interface Cursor {
  readonly it: AsyncIterator<readonly RuleEvent[]>;
  readonly rank: number;
  batch: readonly RuleEvent[];
  /** Index of `head` in `batch`. */
  index: number;
  head: RuleEvent;
}

/** Moves the cursor to the next event of its current batch; false at its end. */
function nextInBatch(c: Cursor): boolean {
  const i = c.index + 1;
  if (i >= c.batch.length) return false;
  c.index = i;
  c.head = c.batch[i]!;
  return true;
}

/** Moves the cursor to the next event of its input, reading batches as needed; false at its end. */
async function advance(c: Cursor): Promise<boolean> {
  while (!nextInBatch(c)) {
    const r = await c.it.next();
    if (r.done) return false;
    c.batch = r.value;
    c.index = -1;
  }
  return true;
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
      const c = await openCursor(input.open()[Symbol.asyncIterator](), next);
      if (!c) continue;
      active.push(c);
      if (!min || before(c, min)) min = c;
    }
    if (!min) break;
    take(engine.push(min.head));
    // Fast path: the next event is usually in the batch at hand, with no await.
    if (!nextInBatch(min) && !(await advance(min))) active.splice(active.indexOf(min), 1);
  }
  take(engine.flush());
  done.push(...grouper.closeAll());
  return done.sort(compareGroups);
}

/** A cursor at the first event of an input, or undefined when it has none. */
async function openCursor(
  it: AsyncIterator<readonly RuleEvent[]>,
  rank: number,
): Promise<Cursor | undefined> {
  for (let r = await it.next(); !r.done; r = await it.next()) {
    const head = r.value[0];
    if (head) return { it, rank, batch: r.value, index: 0, head };
  }
  return undefined;
}

function before(a: Cursor, b: Cursor): boolean {
  return a.head.timeMs < b.head.timeMs || (a.head.timeMs === b.head.timeMs && a.rank < b.rank);
}
