import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ServiceBusClient } from '@azure/service-bus';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type App, createApp } from '../../src/app.js';
import { loadConfig } from '../../src/config/load.js';
import { silentLogger } from '../../src/util/logger.js';
import { FakeServiceBus } from '../fakes/amqp-broker.js';
import { buildRecord } from '../fixtures/records.js';

let dir: string;
let bus: FakeServiceBus;
let app: App | undefined;
let client: ServiceBusClient | undefined;

beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'kvw-app-sb-'));
  bus = await FakeServiceBus.start({ queues: [{ name: 'audit', lockDurationMs: 5_000 }] });
});
afterEach(async () => {
  await app?.stop();
  app = undefined;
  await client?.close();
  await bus.close();
  await rm(dir, { recursive: true, force: true });
});

async function until<T>(probe: () => T | undefined | Promise<T | undefined>, what: string): Promise<T> {
  for (let i = 0; i < 400; i++) {
    const v = await probe();
    if (v !== undefined) return v;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`timed out waiting for ${what}`);
}

describe('app with a Service Bus source', () => {
  it('turns a Diagnostic-settings message on the audit queue into a console card, and a redelivery into nothing new', async () => {
    const config = loadConfig({
      text: [
        `store: { duckdb: ${JSON.stringify(path.join(dir, 'kv.duckdb'))} }`,
        'server: { port: 0, console: true }',
        'detection: { lateness: 1m }',
        'sources: { serviceBus: { entities: [ { queue: audit } ] } }',
        'people: { alice: {} }',
        'roles: { responder: [alice] }',
      ].join('\n'),
      env: { SERVICEBUS_CONNECTION_STRING: bus.connectionString },
    });
    expect(config.embedded).toBe(false);
    app = await createApp(config, { logger: silentLogger, cwd: dir, consoleToken: 't' });
    await app.start();
    await until(async () => ((await fetch(`${app!.url}/readyz`)).status === 200 ? true : undefined), 'ready');

    const body = {
      records: [
        buildRecord({ preset: 'secretPurge', at: '2025-06-02T11:06:02Z' }),
        buildRecord({ at: '2025-06-02T11:20:00Z' }),
      ],
    };
    client = new ServiceBusClient(bus.connectionString);
    const sender = client.createSender('audit');
    await sender.sendMessages({ body, contentType: 'application/json' });
    const card = await until(() => app!.console!.list()[0], 'a console card');
    expect(JSON.stringify(card.card)).toContain('destructive-operation');

    await sender.sendMessages({ body, contentType: 'application/json' });
    await until(async () => {
      const m = await (await fetch(`${app!.url}/metrics`)).text();
      return /kvwarden_events_duplicate_total 2/.test(m) ? true : undefined;
    }, 'the redelivery to be counted as duplicates');
    await app.context.outbox.drain();
    expect(app.console!.list()).toHaveLength(1);
  });
});
