import { describe, expect, it } from 'vitest';
import { DefaultIntakePipeline, type DetectionRecorder } from '../../src/app/intake-pipeline.js';
import { loadPipelineCheckpoint } from '../../src/app/pipeline-checkpoint.js';
import type { AuditItem, VaultNotice } from '../../src/audit/audit-event.js';
import { loadConfig } from '../../src/config/load.js';
import type { Detection } from '../../src/detect/detection.js';
import { DetectionEngine } from '../../src/detect/engine.js';
import { MemoryStore } from '../../src/store/memory-store.js';
import { FakeClock } from '../../src/util/clock.js';
import { silentLogger } from '../../src/util/logger.js';
import { Metrics } from '../../src/util/metrics.js';
import { auditEvent, MINUTE, T0 } from '../fixtures/events.js';

const config = loadConfig({ text: 'detection: { lateness: 1m }', env: {} });
const engineOptions = { detection: config.detection, vaults: config.vaults };

class RecordingAlerts implements DetectionRecorder {
  readonly batches: Detection[][] = [];
  async record(detections: readonly Detection[]): Promise<void> {
    this.batches.push([...detections]);
  }
  get all(): Detection[] {
    return this.batches.flat();
  }
}

function setup(options: { notices?: VaultNotice[] } = {}) {
  const store = new MemoryStore();
  const detector = new DetectionEngine(engineOptions);
  const alerts = new RecordingAlerts();
  const clock = new FakeClock(T0);
  const metrics = new Metrics();
  const posted = options.notices ?? [];
  const pipeline = new DefaultIntakePipeline({
    store,
    detector,
    alerts,
    clock,
    logger: silentLogger,
    metrics,
    idleMs: 0,
    notices: { post: async (n) => void posted.push(n) },
  });
  return { store, detector, alerts, clock, metrics, pipeline, posted };
}

const audit = (overrides: Parameters<typeof auditEvent>[0]): AuditItem => ({
  kind: 'audit',
  event: auditEvent(overrides),
});

/** A purge (destructive-operation) followed, past the lateness, by an ordinary read that releases it. */
function purgeThenLater(): AuditItem[] {
  return [
    audit({ operation: 'SecretPurge', status: 204, at: T0, secret: 'stripe-api-key' }),
    audit({ operation: 'SecretGet', at: T0 + 5 * MINUTE }),
  ];
}

describe('intake pipeline', () => {
  it('processes the same items twice into one detection', async () => {
    const { pipeline, alerts, metrics } = setup();
    const items = purgeThenLater();
    const first = await pipeline.ingest(items, { source: 'folder:a' });
    const second = await pipeline.ingest(items, { source: 'servicebus:q' });
    expect(first).toMatchObject({ accepted: 2, duplicates: 0, alerts: 1 });
    expect(second).toMatchObject({ accepted: 0, duplicates: 2, alerts: 0 });
    expect(alerts.all.map((d) => d.rule)).toEqual(['destructive-operation']);
    const ingested = await metrics.registry.getSingleMetricAsString('kvwarden_events_ingested_total');
    expect(ingested).toContain('kvwarden_events_ingested_total{source="folder"} 2');
  });

  it('skips a key repeated inside one batch', async () => {
    const { pipeline } = setup();
    const item = audit({ at: T0 });
    expect(await pipeline.ingest([item, item], { source: 'folder:a' })).toMatchObject({
      accepted: 1,
      duplicates: 1,
    });
  });

  it('resolves only after the detector state covering the batch is stored', async () => {
    const { pipeline, store, detector } = setup();
    await pipeline.ingest([audit({ operation: 'SecretPurge', status: 204, at: T0 })], { source: 'folder:a' });
    const saved = await loadPipelineCheckpoint(store);
    expect(saved.engine).toEqual(detector.exportState());
    // The purge is still inside the lateness buffer: a restored engine releases it on the next event.
    const restored = DetectionEngine.fromState(engineOptions, saved.engine);
    expect(restored.advanceTo(T0 + 10 * MINUTE).map((d) => d.rule)).toEqual(['destructive-operation']);
  });

  it('closes open windows when idle by advancing the watermark to the clock', async () => {
    const { pipeline, alerts, clock } = setup();
    await pipeline.ingest([audit({ operation: 'SecretPurge', status: 204, at: T0 })], { source: 'folder:a' });
    expect(alerts.all).toHaveLength(0);
    clock.advance(2 * MINUTE);
    expect(await pipeline.advanceToClock()).toBe(1);
    expect(alerts.all.map((d) => d.rule)).toEqual(['destructive-operation']);
  });

  it('hands only first-time events to the accepted hooks', async () => {
    const { pipeline } = setup();
    const seen: string[] = [];
    pipeline.onAccepted((events) => {
      for (const e of events) seen.push(e.key);
    });
    const items = purgeThenLater();
    await pipeline.ingest(items, { source: 'folder:a' });
    await pipeline.ingest(items, { source: 'folder:a' });
    expect(seen).toEqual(items.map((i) => (i.kind === 'audit' ? i.event.key : '')));
  });

  it('turns an expiry notice into one card however often it is delivered, and ignores other notice types', async () => {
    const { pipeline, posted } = setup();
    const notice = (id: string, type: string): AuditItem => ({
      kind: 'notice',
      notice: {
        id,
        type,
        time: '2025-06-03T00:10:41.233Z',
        timeMs: Date.parse('2025-06-03T00:10:41.233Z'),
        vault: 'kv-prod-payments',
        objectType: 'Secret',
        objectName: 'storageKey',
        expires: '2025-07-03T00:10:41.000Z',
        schema: 'eventgrid',
      },
    });
    await pipeline.ingest([notice('n1', 'SecretNearExpiry')], { source: 'servicebus:eg' });
    await pipeline.ingest([notice('n1', 'SecretNearExpiry'), notice('n2', 'SecretNewVersionCreated')], {
      source: 'servicebus:eg',
    });
    expect(posted.map((n) => n.id)).toEqual(['n1']);
  });

  it('keeps detections it could not record and records them first once the store recovers', async () => {
    const store = new MemoryStore();
    const recorded: Detection[] = [];
    let failing = true;
    const alerts: DetectionRecorder = {
      async record(d) {
        if (failing) throw new Error('store unavailable');
        recorded.push(...d);
      },
    };
    const pipeline = new DefaultIntakePipeline({
      store,
      detector: new DetectionEngine(engineOptions),
      alerts,
      clock: new FakeClock(T0),
      logger: silentLogger,
      idleMs: 0,
    });
    const items = purgeThenLater();
    await expect(pipeline.ingest(items, { source: 'servicebus:q' })).rejects.toThrow('store unavailable');
    // While the store is down nothing new is accepted, so the source keeps its messages.
    const later = audit({ at: T0 + 6 * MINUTE });
    await expect(pipeline.ingest([later], { source: 'servicebus:q' })).rejects.toThrow('store unavailable');
    failing = false;
    // The redelivered batch is a duplicate, but its detection was kept and is recorded now.
    expect(await pipeline.ingest(items, { source: 'servicebus:q' })).toMatchObject({ duplicates: 2 });
    expect(await pipeline.ingest([later], { source: 'servicebus:q' })).toMatchObject({ accepted: 1 });
    expect(recorded.map((d) => d.rule)).toEqual(['destructive-operation']);
    expect((await loadPipelineCheckpoint(store)).unrecorded).toEqual([]);
  });

  it('carries unrecorded detections across a crash in its checkpoint', async () => {
    const store = new MemoryStore();
    const failing: DetectionRecorder = {
      record: async () => {
        throw new Error('store unavailable');
      },
    };
    const first = new DefaultIntakePipeline({
      store,
      detector: new DetectionEngine(engineOptions),
      alerts: failing,
      clock: new FakeClock(T0),
      logger: silentLogger,
      idleMs: 0,
    });
    await expect(first.ingest(purgeThenLater(), { source: 'folder:a' })).rejects.toThrow();
    // No stop: the checkpoint written after the failure is what a crashed process leaves behind.
    const saved = await loadPipelineCheckpoint(store);
    expect(saved.unrecorded.map((d) => d.rule)).toEqual(['destructive-operation']);
    const recorded: Detection[] = [];
    const second = new DefaultIntakePipeline({
      store,
      detector: DetectionEngine.fromState(engineOptions, saved.engine),
      alerts: { record: async (d) => void recorded.push(...d) },
      clock: new FakeClock(T0),
      logger: silentLogger,
      idleMs: 0,
      unrecorded: saved.unrecorded,
    });
    await second.ingest([audit({ at: T0 + 7 * MINUTE })], { source: 'folder:a' });
    expect(recorded.map((d) => d.rule)).toEqual(['destructive-operation']);
  });

  it('refuses intake after stop', async () => {
    const { pipeline } = setup();
    await pipeline.stop();
    await expect(pipeline.ingest([audit({})], { source: 'folder:a' })).rejects.toThrow(/stopped/);
  });
});
