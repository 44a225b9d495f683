import { ALERTS, AlertService } from '../../../src/alerts/alert-service.js';
import { Outbox } from '../../../src/alerts/outbox.js';
import { DefaultIntakePipeline } from '../../../src/app/intake-pipeline.js';
import type { AuditItem } from '../../../src/audit/audit-event.js';
import { Directory } from '../../../src/config/directory.js';
import { loadConfig } from '../../../src/config/load.js';
import { DetectionEngine } from '../../../src/detect/engine.js';
import type { IntakeOrigin, IntakePipeline, IntakeResult } from '../../../src/ingest/pipeline.js';
import { MemoryStore } from '../../../src/store/memory-store.js';
import { FakeClock } from '../../../src/util/clock.js';
import { silentLogger } from '../../../src/util/logger.js';
import { FakeChatSurface } from '../../alerts/fake-chat-surface.js';

/**
 * The real intake stack (dedupe → detection → alerts persisted → cards queued in the outbox) over an
 * in-memory store and a fake chat surface. Lateness is 1 minute, so a later event releases detections.
 */
export function intakeStack() {
  const config = loadConfig({ text: 'detection: { lateness: 1m }', env: {} });
  const store = new MemoryStore();
  const clock = new FakeClock(Date.parse('2025-06-02T14:00:00Z'));
  const surface = new FakeChatSurface('console', clock);
  const outbox = new Outbox({ store, clock, surfaces: [surface], options: { baseDelayMs: 1_000 } });
  const alerts = new AlertService({ store, clock, config, directory: new Directory(config), outbox });
  const detector = new DetectionEngine({ detection: config.detection, vaults: config.vaults });
  const pipeline = new DefaultIntakePipeline({
    store,
    detector,
    alerts,
    clock,
    logger: silentLogger,
    idleMs: 0,
  });
  return {
    store,
    clock,
    surface,
    outbox,
    pipeline,
    /** Alerts persisted in the store. */
    alerts: async () => (await store.list<{ rule: string; count?: number }>(ALERTS)).map((a) => a.value),
    /** Cards actually posted on the chat surface. */
    cards: () => [...surface.messages.values()],
  };
}

/** An IntakePipeline wrapper that fails while `failing` is set (a transient store/pipeline outage). */
export class FlakyPipeline implements IntakePipeline {
  failing = false;
  readonly calls: IntakeOrigin[] = [];
  constructor(private readonly inner: IntakePipeline) {}
  async ingest(items: readonly AuditItem[], origin: IntakeOrigin): Promise<IntakeResult> {
    this.calls.push(origin);
    if (this.failing) throw new Error('store unavailable');
    return this.inner.ingest(items, origin);
  }
}

/** A small real pipeline: MemoryStore.markSeen for dedupe and a recording sink of accepted items. */
export class RecordingPipeline implements IntakePipeline {
  readonly store = new MemoryStore();
  readonly accepted: Array<{ item: AuditItem; origin: IntakeOrigin }> = [];
  /** Called (and awaited) before each batch is recorded; throw to simulate a failure. */
  gate?: (items: readonly AuditItem[], origin: IntakeOrigin) => Promise<void> | void;

  async ingest(items: readonly AuditItem[], origin: IntakeOrigin): Promise<IntakeResult> {
    await this.gate?.(items, origin);
    const audits = items.flatMap((i) => (i.kind === 'audit' ? [i.event] : []));
    const fresh = await this.store.markSeen(audits.map((e) => ({ key: e.key, timeMs: e.timeMs })));
    let accepted = 0;
    for (const item of items) {
      if (item.kind === 'audit' && !fresh.delete(item.event.key)) continue;
      this.accepted.push({ item, origin });
      accepted++;
    }
    return { accepted, duplicates: items.length - accepted, alerts: 0 };
  }

  events() {
    return this.accepted.flatMap((a) => (a.item.kind === 'audit' ? [a.item.event] : []));
  }
}

/** Resolves when `check` returns true (polling every 20 ms), or rejects after `ms`. */
export async function until(
  check: () => boolean | Promise<boolean>,
  ms = 10_000,
  what = 'condition',
): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
