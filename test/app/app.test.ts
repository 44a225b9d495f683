import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { withDemoDefaults } from '../../src/app/demo.js';
import { type App, createApp } from '../../src/app.js';
import type { AuditItem } from '../../src/audit/audit-event.js';
import { loadConfig } from '../../src/config/load.js';
import { FakeClock } from '../../src/util/clock.js';
import { silentLogger } from '../../src/util/logger.js';
import { auditEvent, MINUTE, T0 } from '../fixtures/events.js';

let dir: string;
let apps: App[];
beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'kvw-app-'));
  apps = [];
});
afterEach(async () => {
  for (const app of apps) await app.stop();
  await rm(dir, { recursive: true, force: true });
});

function config() {
  return withDemoDefaults(
    loadConfig({
      text: `store: { duckdb: ${JSON.stringify(path.join(dir, 'kv.duckdb'))} }\nserver: { port: 0 }\ndetection: { lateness: 1m }`,
      env: {},
    }),
  );
}

async function start(clock: FakeClock): Promise<App> {
  const app = await createApp(config(), {
    clock,
    logger: silentLogger,
    cwd: dir,
    consoleToken: 'tok',
    idleMs: 0,
  });
  apps.push(app);
  await app.start();
  return app;
}

const purge = (): AuditItem[] => [
  {
    kind: 'audit',
    event: auditEvent({ operation: 'SecretPurge', status: 204, at: T0, secret: 'stripe-api-key' }),
  },
  { kind: 'audit', event: auditEvent({ operation: 'SecretGet', at: T0 + 5 * MINUTE }) },
];

describe('app (embedded mode)', () => {
  it('turns the same items ingested twice into one alert and one console card', async () => {
    const clock = new FakeClock(T0 + 10 * MINUTE);
    const app = await start(clock);
    const { pipeline, outbox, alerts } = app.context;
    const items = purge();
    await pipeline.ingest(items, { source: 'folder:x' });
    await pipeline.ingest(items, { source: 'servicebus:q' });
    await outbox.drain();
    const cards = app.console!.list();
    expect(cards).toHaveLength(1);
    expect(JSON.stringify(cards[0]!.card)).toContain('destructive-operation');
    expect(await alerts.listOpen()).toHaveLength(1);
  });

  it('serves health, readiness and metrics on one server', async () => {
    const app = await start(new FakeClock(T0));
    expect(await (await fetch(`${app.url}/healthz`)).json()).toEqual({ status: 'ok' });
    const ready = await fetch(`${app.url}/readyz`);
    expect(ready.status).toBe(200);
    await app.context.pipeline.ingest(purge(), { source: 'folder:x' });
    const metrics = await (await fetch(`${app.url}/metrics`)).text();
    expect(metrics).toContain('kvwarden_events_ingested_total{source="folder"} 2');
    expect(metrics).toContain('kvwarden_outbox_depth');
    expect(app.consoleUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/\?token=tok$/);
  });

  it('reports not ready until its sources have made a first pass', async () => {
    const clock = new FakeClock(T0);
    const app = await createApp(config(), {
      clock,
      logger: silentLogger,
      cwd: dir,
      demo: true,
      demoFolder: path.join(dir, 'missing-until-later'),
      features: [
        {
          name: 'slow-source',
          register: () => ({
            sources: [
              { name: 'never', connected: false, start: async () => undefined, stop: async () => undefined },
            ],
          }),
        },
      ],
    });
    apps.push(app);
    await app.start();
    const res = await fetch(`${app.url}/readyz`);
    expect(res.status).toBe(503);
    expect(((await res.json()) as { waiting: string[] }).waiting).toContain('source:never');
  });

  it('keeps detector state, alerts and console cards across a graceful restart', async () => {
    const clock = new FakeClock(T0 + 2 * MINUTE);
    const first = await start(clock);
    // Inside the lateness: the purge is only in the detector's buffer when the app stops.
    await first.context.pipeline.ingest([purge()[0]!], { source: 'folder:x' });
    await first.stop();
    const second = await start(clock);
    clock.advance(10 * MINUTE);
    await second.context.pipeline.advanceToClock();
    await second.context.outbox.drain();
    expect(second.console!.list().map((m) => JSON.stringify(m.card))).toEqual([
      expect.stringContaining('destructive-operation'),
    ]);
    await second.stop();
    const third = await start(clock);
    expect(third.console!.list()).toHaveLength(1);
  });

  it('answers /kv queries from the embedded history of accepted events', async () => {
    const app = await start(new FakeClock(T0 + 10 * MINUTE));
    await app.context.pipeline.ingest(purge(), { source: 'folder:x' });
    const { handler } = app.context;
    const who = await handler.handleCommand(
      { surface: 'console', userId: 'alice' },
      '/kv who kv-prod-payments 1h',
    );
    expect(who.card).toBeDefined();
    expect(JSON.stringify(who.card?.card)).toContain('kv-prod-payments');
    const refused = await handler.handleCommand(
      { surface: 'console', userId: 'mallory' },
      '/kv who kv-prod-payments',
    );
    expect(refused.text).toMatch(/not authorised/i);
  });

  it('refuses to run the console on a non-loopback address when asked for it', async () => {
    const cfg = loadConfig({ text: 'server: { host: 0.0.0.0, console: true }', env: {} });
    await expect(createApp(cfg, { logger: silentLogger, cwd: dir })).rejects.toThrow(/server\.console/);
  });

  it('routes /kv help to everyone and refuses /kv alerts to a person without a role', async () => {
    const app = await start(new FakeClock(T0));
    const { handler } = app.context;
    const help = await handler.handleCommand({ surface: 'console', userId: 'mallory' }, '/kv help');
    expect(help.text).toContain('/kv alerts');
    const refused = await handler.handleCommand({ surface: 'console', userId: 'mallory' }, '/kv alerts');
    expect(refused.text).toContain('not authorised');
    const unknown = await handler.handleCommand({ surface: 'console', userId: 'nobody' }, '/kv alerts');
    expect(unknown.text).toContain('not mapped to a person');
    const allowed = await handler.handleCommand({ surface: 'console', userId: 'alice' }, '/kv alerts');
    expect(allowed.text).toBe('No open alerts.');
  });
});
