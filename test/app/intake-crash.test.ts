import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ALERTS, AlertService } from '../../src/alerts/alert-service.js';
import { Outbox } from '../../src/alerts/outbox.js';
import { DefaultIntakePipeline } from '../../src/app/intake-pipeline.js';
import {
  CHECKPOINTS,
  DETECTOR_CHECKPOINT,
  loadPipelineCheckpoint,
} from '../../src/app/pipeline-checkpoint.js';
import type { AuditItem } from '../../src/audit/audit-event.js';
import { Directory } from '../../src/config/directory.js';
import { loadConfig } from '../../src/config/load.js';
import { DetectionEngine } from '../../src/detect/engine.js';
import { QueryService } from '../../src/queries/query-service.js';
import { DuckDbStore } from '../../src/store/duckdb/duckdb-store.js';
import { openDuckDb } from '../../src/store/duckdb/open-duckdb.js';
import { EventHistory } from '../../src/store/history/event-history.js';
import { MemoryStore } from '../../src/store/memory-store.js';
import type { AuditTrailEntry, Store, Versioned } from '../../src/store/store.js';
import { FakeClock } from '../../src/util/clock.js';
import { silentLogger } from '../../src/util/logger.js';
import { FakeChatSurface } from '../alerts/fake-chat-surface.js';
import { auditEvent, MINUTE, PAYMENTS_API, T0 } from '../fixtures/events.js';
import { tempDuckDbStore } from '../store/temp-duckdb.js';

/**
 * Crash scenarios for the intake pipeline: a "process" (pipeline, detector, alert service, outbox) runs over
 * a ProcessStore, which passes through to the durable store until it is told to die at a point; from then
 * on the process can persist nothing more. The next process starts from what is durable, and the source
 * delivers again what was never acknowledged (the batch whose `ingest` did not resolve).
 */

class Crash extends Error {
  constructor() {
    super('simulated crash: the process died');
  }
}

type CrashPoint = 'checkpoint' | 'marks';

/** The store as one process sees it: dies at `crashAt`; `holdCheckpoint` delays checkpoint writes. */
class ProcessStore implements Store {
  dead = false;
  crashAt: CrashPoint | undefined;
  holdCheckpoint: Promise<void> | undefined;
  /** Called when a checkpoint write reaches `holdCheckpoint`. */
  onHeld: (() => void) | undefined;
  constructor(private readonly durable: Store) {}

  private alive(): void {
    if (this.dead) throw new Crash();
  }
  private die(): never {
    this.dead = true;
    throw new Crash();
  }
  private async beforeWrite(collection: string, id: string): Promise<void> {
    this.alive();
    if (collection !== CHECKPOINTS || id !== DETECTOR_CHECKPOINT) return;
    if (this.crashAt === 'checkpoint') this.die();
    if (this.holdCheckpoint) {
      this.onHeld?.();
      await this.holdCheckpoint;
    }
  }

  async get<T>(c: string, id: string): Promise<Versioned<T> | undefined> {
    this.alive();
    return this.durable.get<T>(c, id);
  }
  async create<T>(c: string, id: string, v: T): Promise<Versioned<T> | undefined> {
    await this.beforeWrite(c, id);
    return this.durable.create(c, id, v);
  }
  async update<T>(c: string, id: string, v: T, version: string): Promise<Versioned<T>> {
    await this.beforeWrite(c, id);
    return this.durable.update(c, id, v, version);
  }
  async delete(c: string, id: string, version?: string): Promise<void> {
    this.alive();
    return this.durable.delete(c, id, version);
  }
  async list<T>(c: string, o?: { prefix?: string; limit?: number }) {
    this.alive();
    return this.durable.list<T>(c, o);
  }
  async appendAudit(e: AuditTrailEntry): Promise<void> {
    this.alive();
    return this.durable.appendAudit(e);
  }
  async listAudit(s: string): Promise<AuditTrailEntry[]> {
    this.alive();
    return this.durable.listAudit(s);
  }
  async markSeen(keys: ReadonlyArray<{ key: string; timeMs: number }>): Promise<Set<string>> {
    this.alive();
    if (this.crashAt === 'marks') this.die();
    return this.durable.markSeen(keys);
  }
  async filterUnseen(keys: ReadonlyArray<{ key: string; timeMs: number }>): Promise<Set<string>> {
    this.alive();
    return this.durable.filterUnseen(keys);
  }
  async pruneSeen(beforeMs: number): Promise<number> {
    this.alive();
    return this.durable.pruneSeen(beforeMs);
  }
  async close(): Promise<void> {}
}

const config = loadConfig({ text: 'detection: { lateness: 1m }', env: {} });
const engineOptions = { detection: config.detection, vaults: config.vaults };
const SCANNER = { ip: '198.18.7.23' };

const audit = (overrides: Parameters<typeof auditEvent>[0]): AuditItem => ({
  kind: 'audit',
  event: auditEvent(overrides),
});
/** Failed reads by a scanner: more than `failedBurst.threshold` (10) within 5 minutes is a burst. */
const failures = (from: number, n: number): AuditItem[] =>
  Array.from({ length: n }, (_, i) => audit({ status: 403, at: T0 + (from + i) * 1_000, as: SCANNER }));
/** An ordinary read 3 minutes on: moves the watermark (lateness 1 min) past the failures. */
const later = (): AuditItem[] => [audit({ at: T0 + 3 * MINUTE })];
const keysOf = (items: AuditItem[]) =>
  items.flatMap((i) => (i.kind === 'audit' ? [{ key: i.event.key, timeMs: i.event.timeMs }] : []));

/** One run of the process, started from what the durable store holds (like `createApp`). */
async function boot(durable: Store, world: { clock: FakeClock; surface: FakeChatSurface }) {
  const store = new ProcessStore(durable);
  const saved = await loadPipelineCheckpoint(store);
  const detector =
    saved.engine === undefined
      ? new DetectionEngine(engineOptions)
      : DetectionEngine.fromState(engineOptions, saved.engine);
  const { clock, surface } = world;
  const outbox = new Outbox({ store, clock, surfaces: [surface], options: { baseDelayMs: 1_000 } });
  const alerts = new AlertService({ store, clock, config, directory: new Directory(config), outbox });
  const pipeline = new DefaultIntakePipeline({
    store,
    detector,
    alerts,
    clock,
    logger: silentLogger,
    idleMs: 0,
    unrecorded: saved.unrecorded,
    unmarked: saved.unmarked,
  });
  return { store, pipeline, outbox };
}

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c();
});

const durableStores: Array<[string, () => Promise<Store>]> = [
  ['memory store', async () => new MemoryStore()],
  ['DuckDB store', () => tempDuckDbStore('kvw-crash-', cleanups)],
];

describe.each(durableStores)('intake pipeline across a crash (%s)', (_name, open) => {
  async function world() {
    const durable = await open();
    const clock = new FakeClock(T0 + 10 * MINUTE);
    const surface = new FakeChatSurface('console', clock);
    const bursts = async () =>
      (await durable.list<{ rule: string }>(ALERTS)).filter((a) => a.value.rule === 'failed-request-burst');
    return { durable, clock, surface, bursts };
  }

  it('counts redelivered events in their windows when the process died before the checkpoint covering them', async () => {
    const w = await world();
    const first = await boot(w.durable, w);
    const a = failures(0, 6);
    const b = failures(10, 6);
    const c = later();
    await first.pipeline.ingest(a, { source: 'servicebus:audit' });
    first.store.crashAt = 'checkpoint';
    await expect(first.pipeline.ingest(b, { source: 'servicebus:audit' })).rejects.toThrow(Crash);
    // The batch was never acknowledged, and its keys were not marked seen: it is still to be processed.
    expect((await w.durable.filterUnseen(keysOf(b))).size).toBe(6);
    expect(await w.bursts()).toHaveLength(0);

    const second = await boot(w.durable, w);
    expect(await second.pipeline.ingest(b, { source: 'servicebus:audit' })).toMatchObject({
      accepted: 6,
      duplicates: 0,
    });
    expect(await second.pipeline.ingest(c, { source: 'servicebus:audit' })).toMatchObject({ alerts: 1 });
    await second.outbox.drain();
    expect(await w.bursts()).toHaveLength(1);
    expect(w.surface.messages.size).toBe(1);

    // A genuine duplicate of everything changes nothing.
    expect(await second.pipeline.ingest([...a, ...b, ...c], { source: 'folder:audit-logs' })).toMatchObject({
      accepted: 0,
      duplicates: 13,
      alerts: 0,
    });
    await second.outbox.drain();
    expect(await w.bursts()).toHaveLength(1);
    expect(w.surface.messages.size).toBe(1);
  });

  it('raises the alert once when it was recorded before the crash and detected again after it', async () => {
    const w = await world();
    const first = await boot(w.durable, w);
    const a = failures(0, 6);
    const b = [...failures(10, 6), ...later()];
    await first.pipeline.ingest(a, { source: 'servicebus:audit' });
    first.store.crashAt = 'checkpoint';
    // The burst fires inside this batch (alert persisted, card queued), then the process dies.
    await expect(first.pipeline.ingest(b, { source: 'servicebus:audit' })).rejects.toThrow(Crash);
    expect(await w.bursts()).toHaveLength(1);

    const second = await boot(w.durable, w);
    expect(await second.pipeline.ingest(b, { source: 'servicebus:audit' })).toMatchObject({ accepted: 7 });
    await second.outbox.drain();
    const bursts = await w.bursts();
    expect(bursts).toHaveLength(1);
    expect(bursts[0]?.value).toMatchObject({ count: 1 });
    expect(w.surface.messages.size).toBe(1);
  });

  it('finishes the marks on the next start when the process died after the checkpoint but before marking', async () => {
    const w = await world();
    const first = await boot(w.durable, w);
    const a = failures(0, 6);
    const b = failures(10, 6);
    await first.pipeline.ingest(a, { source: 'servicebus:audit' });
    first.store.crashAt = 'marks';
    await expect(first.pipeline.ingest(b, { source: 'servicebus:audit' })).rejects.toThrow(Crash);
    // The checkpoint holds the detector state that counted b, and b's keys still to be marked.
    const saved = await loadPipelineCheckpoint(w.durable);
    expect(saved.unmarked.map((m) => m.key).sort()).toEqual(
      keysOf(b)
        .map((k) => k.key)
        .sort(),
    );

    const second = await boot(w.durable, w);
    // b is already in the restored windows: its redelivery is a duplicate and is not counted twice.
    expect(await second.pipeline.ingest(b, { source: 'servicebus:audit' })).toMatchObject({
      accepted: 0,
      duplicates: 6,
    });
    expect(await second.pipeline.ingest(later(), { source: 'servicebus:audit' })).toMatchObject({
      alerts: 1,
    });
    expect((await w.durable.filterUnseen(keysOf(b))).size).toBe(0);
    const bKeys = new Set(keysOf(b).map((k) => k.key));
    expect((await loadPipelineCheckpoint(w.durable)).unmarked.filter((m) => bKeys.has(m.key))).toEqual([]);
    await second.outbox.drain();
    expect(await w.bursts()).toHaveLength(1);
    expect(w.surface.messages.size).toBe(1);
  });

  it('skips a duplicate that arrives while the checkpoint covering the first copy is still being written', async () => {
    const w = await world();
    const p = await boot(w.durable, w);
    let release: () => void = () => {};
    p.store.holdCheckpoint = new Promise<void>((r) => {
      release = r;
    });
    const held = new Promise<void>((r) => {
      p.store.onHeld = r;
    });
    const items = [...failures(0, 11), ...later()];
    const first = p.pipeline.ingest(items, { source: 'servicebus:audit' });
    const second = p.pipeline.ingest(items, { source: 'folder:audit-logs' });
    // The first copy's checkpoint is being written: nothing is marked seen yet.
    await held;
    expect((await w.durable.filterUnseen(keysOf(items))).size).toBe(12);
    release();
    expect(await first).toMatchObject({ accepted: 12, duplicates: 0, alerts: 1 });
    expect(await second).toMatchObject({ accepted: 0, duplicates: 12, alerts: 0 });
    expect((await w.durable.filterUnseen(keysOf(items))).size).toBe(0);
    await p.outbox.drain();
    expect(await w.bursts()).toHaveLength(1);
    expect(w.surface.messages.size).toBe(1);
  });
});

describe('query history across a crash (DuckDB store and history on one file)', () => {
  it('keeps the history and the who answer unchanged when a batch is redelivered after a crash before the checkpoint', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'kvw-crash-history-'));
    const db = await openDuckDb(path.join(dir, 'kv.duckdb'));
    cleanups.push(async () => {
      await db.close();
      await rm(dir, { recursive: true, force: true });
    });
    const durable = await DuckDbStore.over(db);
    const clock = new FakeClock(T0 + 10 * MINUTE);
    const w = { clock, surface: new FakeChatSurface('console', clock) };
    const history = await EventHistory.open(db, { retentionMs: 90 * 86_400_000, clock });
    const queries = new QueryService({
      engine: { kind: 'embedded', history },
      clock,
      tables: 'both',
      maxRows: 50,
      timeoutMs: 1_000,
    });
    const who = async () => (await queries.run({ name: 'who', since: '1d' })).rows;
    const withHistory = async () => {
      const run = await boot(durable, w);
      run.pipeline.onAccepted(async (events) => {
        await history.append(events);
      });
      return run;
    };

    const first = await withHistory();
    const a = [...failures(0, 6), audit({ at: T0 + 30_000 })];
    const b = [...failures(10, 6), audit({ at: T0 + 40_000, as: PAYMENTS_API })];
    await first.pipeline.ingest(a, { source: 'servicebus:audit' });
    first.store.crashAt = 'checkpoint';
    // The history hook runs before the checkpoint: b is in the history although the process died.
    await expect(first.pipeline.ingest(b, { source: 'servicebus:audit' })).rejects.toThrow(Crash);
    expect(await history.count()).toBe(14);
    const before = await who();
    expect(before.length).toBe(3);

    const second = await withHistory();
    // b's keys were never marked seen: the pipeline accepts it again, and the history skips its events.
    expect(await second.pipeline.ingest(b, { source: 'servicebus:audit' })).toMatchObject({ accepted: 7 });
    expect(await history.count()).toBe(14);
    expect(await who()).toEqual(before);
    // Straight to the history: a repeated batch, and repeats inside one batch, add nothing.
    expect(await history.append([...a, ...b].flatMap((i) => (i.kind === 'audit' ? [i.event] : [])))).toBe(0);
    const c = audit({ at: T0 + 50_000 });
    const cEvent = c.kind === 'audit' ? c.event : undefined;
    expect(await history.append(cEvent ? [cEvent, cEvent] : [])).toBe(1);
    expect(await history.count()).toBe(15);
  });
});
