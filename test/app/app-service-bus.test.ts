import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ServiceBusClient } from '@azure/service-bus';
import { BlobServiceClient, type ContainerClient } from '@azure/storage-blob';
import { afterEach, beforeEach, describe, expect, inject, it } from 'vitest';
import { type App, createApp } from '../../src/app.js';
import { loadConfig } from '../../src/config/load.js';
import { blobPathFor } from '../../src/ingest/blob/blob-paths.js';
import { FakeClock } from '../../src/util/clock.js';
import { silentLogger } from '../../src/util/logger.js';
import { FakeServiceBus } from '../fakes/amqp-broker.js';
import { buildRecord, RESOURCE_GROUP, SUBSCRIPTION, toJsonLines } from '../fixtures/records.js';

let dir: string;
let bus: FakeServiceBus;
let app: App | undefined;
let client: ServiceBusClient | undefined;
let container: ContainerClient | undefined;

beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'kvw-app-sb-'));
  bus = await FakeServiceBus.start({
    queues: [
      { name: 'audit', lockDurationMs: 5_000 },
      { name: 'audit-sessions', sessions: true, lockDurationMs: 5_000 },
    ],
  });
});
afterEach(async () => {
  await app?.stop();
  app = undefined;
  await client?.close();
  await bus.close();
  await container?.delete();
  container = undefined;
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

describe('app with the blob forwarder', () => {
  const PAYMENTS = `/SUBSCRIPTIONS/${SUBSCRIPTION}/RESOURCEGROUPS/${RESOURCE_GROUP.toUpperCase()}/PROVIDERS/MICROSOFT.KEYVAULT/VAULTS/KV-PROD-PAYMENTS`;
  const HOUR = Date.parse('2025-06-02T11:00:00Z');

  /** An append blob in the resource-log layout holding a purge and a later read (which releases it). */
  async function auditBlob(): Promise<{ name: string; size: number }> {
    const connection = inject('azuriteConnectionString');
    container = BlobServiceClient.fromConnectionString(connection).getContainerClient(
      `app-${randomUUID().slice(0, 8)}`,
    );
    await container.create();
    const name = blobPathFor(PAYMENTS, HOUR);
    const text = toJsonLines([
      buildRecord({ preset: 'secretPurge', at: '2025-06-02T11:06:02Z' }),
      buildRecord({ at: '2025-06-02T11:20:00Z' }),
    ]);
    const blob = container.getAppendBlobClient(name);
    await blob.create();
    await blob.appendBlock(text, Buffer.byteLength(text));
    return { name, size: Buffer.byteLength(text) };
  }

  async function startApp(sources: string[], env: Record<string, string>): Promise<App> {
    const config = loadConfig({
      text: [
        `store: { duckdb: ${JSON.stringify(path.join(dir, 'kv.duckdb'))} }`,
        'server: { port: 0, console: true }',
        'detection: { lateness: 1m }',
        'sources:',
        ...sources.map((line) => `  ${line}`),
        'people: { alice: {} }',
        'roles: { responder: [alice] }',
      ].join('\n'),
      env: { AZURE_STORAGE_CONNECTION_STRING: inject('azuriteConnectionString'), ...env },
    });
    const started = await createApp(config, {
      logger: silentLogger,
      cwd: dir,
      consoleToken: 't',
      clock: new FakeClock(Date.parse('2025-06-02T11:30:00Z')),
    });
    app = started;
    await started.start();
    await until(
      async () => ((await fetch(`${started.url}/readyz`)).status === 200 ? true : undefined),
      'ready',
    );
    return started;
  }

  const cardAfterDrain = (a: App) => async () => {
    await a.context.outbox.drain();
    return a.console!.list()[0];
  };

  it('forwards the audit blobs in-process into the pipeline and checkpoints the blob offset', async () => {
    const blob = await auditBlob();
    const a = await startApp([`blob: { container: ${container!.containerName} }`], {});
    const card = await until(cardAfterDrain(a), 'a console card');
    expect(JSON.stringify(card.card)).toContain('destructive-operation');
    const cp = await a.context.store.get<{ offset: number }>(
      'checkpoints',
      `blob:${container!.containerName}/${blob.name}`,
    );
    expect(cp?.value.offset).toBe(blob.size);
    expect(a.sources.map((s) => s.name)).toContain('blob');
  });

  it('runs the forwarder (sendTo) and the Service Bus listener together: blob → session queue → one card', async () => {
    await auditBlob();
    const a = await startApp(
      [
        `blob: { container: ${container!.containerName}, sendTo: audit-sessions }`,
        'serviceBus: { entities: [ { queue: audit-sessions, sessions: true } ] }',
      ],
      { SERVICEBUS_CONNECTION_STRING: bus.connectionString },
    );
    expect(a.sources.map((s) => s.name)).toEqual(expect.arrayContaining(['blob', 'servicebus']));
    const card = await until(cardAfterDrain(a), 'a console card');
    expect(JSON.stringify(card.card)).toContain('destructive-operation');
    await until(
      () => (bus.entity('audit-sessions').messages.size === 0 ? true : undefined),
      'the forwarded message completed',
    );
    expect(a.console!.list()).toHaveLength(1);
  });
});
