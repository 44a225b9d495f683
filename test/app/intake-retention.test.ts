import { randomBytes } from 'node:crypto';
import { afterEach, describe, expect, inject, it } from 'vitest';
import { AlertService } from '../../src/alerts/alert-service.js';
import { Outbox } from '../../src/alerts/outbox.js';
import { DefaultIntakePipeline } from '../../src/app/intake-pipeline.js';
import { eventKeyRetention, RetentionPruner } from '../../src/app/retention-pruner.js';
import type { AuditItem } from '../../src/audit/audit-event.js';
import { Directory } from '../../src/config/directory.js';
import { loadConfig } from '../../src/config/load.js';
import { DetectionEngine } from '../../src/detect/engine.js';
import { AzureTableStore } from '../../src/store/azure-table/azure-table-store.js';
import { MemoryStore } from '../../src/store/memory-store.js';
import type { Store } from '../../src/store/store.js';
import { FakeClock } from '../../src/util/clock.js';
import { silentLogger } from '../../src/util/logger.js';
import { FakeChatSurface } from '../alerts/fake-chat-surface.js';
import { auditEvent, DAY, HOUR, MINUTE, T0 } from '../fixtures/events.js';
import { tempDuckDbStore } from '../store/temp-duckdb.js';

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c();
});

const stores: Array<[string, () => Promise<Store>]> = [
  ['memory store', async () => new MemoryStore()],
  ['DuckDB store', () => tempDuckDbStore('kvw-retention-', cleanups)],
  [
    'Azure Table store (Azurite)',
    async () =>
      AzureTableStore.open({
        connectionString: inject('azuriteConnectionString'),
        tablePrefix: `r${randomBytes(6).toString('hex')}`,
      }),
  ],
];

const reads = (at: number, n: number, tag: string): AuditItem[] =>
  Array.from({ length: n }, (_, i) => ({
    kind: 'audit',
    event: auditEvent({ at: at + i * 1_000, secret: `${tag}-${i}` }),
  }));
const keysOf = (items: AuditItem[]) =>
  items.flatMap((i) => (i.kind === 'audit' ? [{ key: i.event.key, timeMs: i.event.timeMs }] : []));

describe('eventKeyRetention', () => {
  it.each([
    ['', 48 * HOUR],
    ['detection: { lateness: 1d }', 2 * DAY],
    ['detection: { lateness: 15m }\nsources: { eventKeyRetention: 7d }', 7 * DAY],
  ])('%j → %d ms', (text, ms) => {
    expect(eventKeyRetention(loadConfig({ text, env: {} }))).toBe(ms);
  });
});

describe.each(stores)('seen event keys pruned after checkpoints (%s)', (_name, open) => {
  async function world() {
    const store = await open();
    const config = loadConfig({ text: 'detection: { lateness: 1m }', env: {} });
    const clock = new FakeClock(T0 + 10 * MINUTE);
    const outbox = new Outbox({ store, clock, surfaces: [new FakeChatSurface('console', clock)] });
    const alerts = new AlertService({ store, clock, config, directory: new Directory(config), outbox });
    const pruner = new RetentionPruner({
      retentionMs: eventKeyRetention(config),
      clock,
      logger: silentLogger,
      tasks: [{ name: 'seen event keys', prune: (before) => store.pruneSeen(before) }],
    });
    const pipeline = new DefaultIntakePipeline({
      store,
      detector: new DetectionEngine({ detection: config.detection, vaults: config.vaults }),
      alerts,
      pruner,
      clock,
      logger: silentLogger,
      idleMs: 0,
    });
    /** Ingests, then waits for the pruning pass the checkpoint may have started. */
    const ingest = async (items: AuditItem[]) => {
      const result = await pipeline.ingest(items, { source: 'servicebus:audit' });
      await pruner.idle();
      return result;
    };
    const unseen = async (items: AuditItem[]) => (await store.filterUnseen(keysOf(items))).size;
    return { store, clock, ingest, unseen };
  }

  it('forgets keys older than the retention (48 h by default), at most once an hour, and keeps newer ones', async () => {
    const w = await world();
    const day0 = reads(T0, 5, 'a');
    await w.ingest(day0);
    expect(await w.unseen(day0)).toBe(0);

    // Two days on: the first checkpoint of the pass prunes what is now older than 48 h.
    w.clock.advance(48 * HOUR + 20 * MINUTE);
    const day2 = reads(T0 + 48 * HOUR + 15 * MINUTE, 5, 'b');
    await w.ingest(day2);
    expect(await w.unseen(day0)).toBe(5);
    expect(await w.unseen(day2)).toBe(0);

    // A record from day 0 delivered again now is new again (it is past the retention); it is marked with its
    // own event time, and the next pass — not before an hour has gone by — forgets it once more.
    const replay = reads(T0, 1, 'a');
    expect(await w.ingest(replay)).toMatchObject({ accepted: 1 });
    w.clock.advance(30 * MINUTE);
    await w.ingest(reads(T0 + 48 * HOUR + 40 * MINUTE, 1, 'c'));
    expect(await w.unseen(replay)).toBe(0);
    w.clock.advance(31 * MINUTE);
    await w.ingest(reads(T0 + 49 * HOUR + 10 * MINUTE, 1, 'd'));
    expect(await w.unseen(replay)).toBe(1);
    // Within the retention, a repeat is still a duplicate.
    expect(await w.ingest(day2)).toMatchObject({ accepted: 0, duplicates: 5 });
  });

  it('counts the retention back from the newest event marked, so a replay of old logs keeps its keys', async () => {
    const w = await world();
    // A year-old backfill (the clock is a year ahead of the records): nothing is forgotten by the pass.
    w.clock.advance(365 * DAY);
    const backfill = reads(T0, 5, 'old');
    await w.ingest(backfill);
    w.clock.advance(2 * HOUR);
    await w.ingest(reads(T0 + 10 * MINUTE, 1, 'later'));
    expect(await w.unseen(backfill)).toBe(0);
    expect(await w.ingest(backfill)).toMatchObject({ accepted: 0, duplicates: 5 });
    // Once live data (event time = now) is marked, the same rule as for live data applies.
    w.clock.advance(HOUR);
    await w.ingest(reads(w.clock.now(), 1, 'live'));
    expect(await w.unseen(backfill)).toBe(5);
  });

  it('keeps going when a pass fails, and prunes at the next due pass', async () => {
    const w = await world();
    const old = reads(T0, 3, 'old');
    await w.ingest(old);
    const original = w.store.pruneSeen.bind(w.store);
    let failures = 1;
    w.store.pruneSeen = async (before) => {
      if (failures-- > 0) throw new Error('store unavailable');
      return original(before);
    };
    w.clock.advance(3 * DAY);
    await w.ingest(reads(T0 + 3 * DAY, 1, 'x'));
    expect(await w.unseen(old)).toBe(0);
    w.clock.advance(HOUR);
    await w.ingest(reads(T0 + 3 * DAY + HOUR, 1, 'y'));
    expect(await w.unseen(old)).toBe(3);
  });
});
