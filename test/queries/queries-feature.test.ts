import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { type App, createApp } from '../../src/app.js';
import { loadConfig } from '../../src/config/load.js';
import { queriesFeature } from '../../src/store/history/queries-feature.js';
import { FakeClock } from '../../src/util/clock.js';
import { silentLogger } from '../../src/util/logger.js';
import { auditEvent, BOB, DAY, HOUR, PAYMENTS_API, T0 } from '../fixtures/events.js';

let dir: string;
let app: App | undefined;
beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'kvw-queries-feature-'));
});
afterEach(async () => {
  await app?.stop();
  app = undefined;
  await rm(dir, { recursive: true, force: true });
});

describe('queries feature in the composition root (embedded mode)', () => {
  test('events accepted by the intake pipeline are queryable with /kv, and retention prunes them', async () => {
    const config = loadConfig({
      text: [
        `store: { duckdb: ${JSON.stringify(path.join(dir, 'kv.duckdb'))} }`,
        'server: { port: 0 }',
        'queries: { retention: 2d }',
        'people: { alice: { displayName: Alice } }',
        'roles: { viewer: [alice] }',
      ].join('\n'),
      env: {},
    });
    const clock = new FakeClock(T0 + HOUR);
    app = await createApp(config, {
      clock,
      logger: silentLogger,
      cwd: dir,
      consoleToken: 'tok',
      idleMs: 0,
      features: [queriesFeature],
    });
    const items = [
      auditEvent({ at: T0 - 5 * DAY }),
      auditEvent({ at: T0 }),
      auditEvent({ at: T0 + 60_000, as: PAYMENTS_API }),
    ].map((event) => ({ kind: 'audit' as const, event }));
    await app.context.pipeline.ingest(items, { source: 'test' });
    // Delivered twice: the pipeline dedupes, so the history does not double count.
    await app.context.pipeline.ingest(items, { source: 'test' });

    const alice = { surface: 'console' as const, userId: 'alice' };
    const before = await app.context.handler.handleCommand(alice, '/kv who kv-prod-payments 7d');
    expect(JSON.stringify(before.card?.card)).toContain('2 rows');
    expect(JSON.stringify(before.card?.card)).toContain('3 operations');

    await app.start(); // prunes on start: the 5-day-old event is past the 2-day retention
    const after = await app.context.handler.handleCommand(alice, '/kv who kv-prod-payments 7d');
    const json = JSON.stringify(after.card?.card);
    expect(json).toContain('2 operations');
    expect(json).toContain(BOB.upn);

    const refused = await app.context.handler.handleCommand(
      { surface: 'console', userId: 'mallory' },
      '/kv who kv-prod-payments',
    );
    expect(refused.card).toBeUndefined();
    expect(refused.text).toMatch(/not authorised/i);
  });
});
