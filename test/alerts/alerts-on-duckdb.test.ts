import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AlertService } from '../../src/alerts/alert-service.js';
import { Outbox } from '../../src/alerts/outbox.js';
import { Directory } from '../../src/config/directory.js';
import { loadConfig } from '../../src/config/load.js';
import { DuckDbStore } from '../../src/store/duckdb/duckdb-store.js';
import { FakeClock } from '../../src/util/clock.js';
import { buildDetection } from './builders.js';
import { FakeChatSurface } from './fake-chat-surface.js';
import { ALICE, BOB, deliverAll, PEOPLE_YAML } from './harness.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'kvw-alerts-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function open(path: string, clock: FakeClock) {
  const store = await DuckDbStore.open(path);
  const config = loadConfig({ env: {}, text: PEOPLE_YAML });
  const surface = new FakeChatSurface('console', clock);
  const outbox = new Outbox({ store, clock, surfaces: [surface] });
  const service = new AlertService({ store, clock, config, directory: new Directory(config), outbox });
  return { store, surface, outbox, service };
}

describe('alerts on the DuckDB store', () => {
  it('groups, races clicks and delivers through the outbox with the embedded store', async () => {
    const clock = new FakeClock(Date.parse('2025-06-02T14:00:00Z'));
    const { store, surface, outbox, service } = await open(join(dir, 'a.duckdb'), clock);
    try {
      const [r] = await service.record([buildDetection()]);
      await service.record([
        buildDetection({
          time: '2025-06-02T13:30:00Z',
          timeMs: Date.parse('2025-06-02T13:30:00Z'),
          eventKeys: ['x'],
        }),
      ]);
      const id = r?.alert.id ?? '';
      const outcomes = await Promise.all([
        service.act(ALICE, { verb: 'alert.ack', data: { alertId: id } }),
        service.act(BOB, { verb: 'alert.ack', data: { alertId: id } }),
      ]);
      expect(outcomes.filter((o) => o.notice !== undefined)).toHaveLength(1);
      await deliverAll(outbox, clock);
      expect(surface.messages.size).toBe(1);
      expect(await service.get(id)).toMatchObject({ count: 2, state: 'acknowledged' });
    } finally {
      await store.close();
    }
  });

  it('keeps pending deliveries across a restart and posts them once', async () => {
    const clock = new FakeClock(Date.parse('2025-06-02T14:00:00Z'));
    const path = join(dir, 'b.duckdb');
    const first = await open(path, clock);
    first.surface.downUntilMs = clock.now() + 60_000;
    await first.service.record([buildDetection()]);
    await first.outbox.drain();
    expect(first.surface.messages.size).toBe(0);
    await first.store.close();

    const second = await open(path, clock);
    try {
      await deliverAll(second.outbox, clock);
      expect(second.surface.messages.size).toBe(1);
      expect(await second.outbox.depth()).toBe(0);
    } finally {
      await second.store.close();
    }
  });
});
