import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { ServiceBusClient } from '@azure/service-bus';
import { BlobServiceClient } from '@azure/storage-blob';
import { afterEach, beforeEach, describe, expect, inject, it } from 'vitest';
import type { CommandIo } from '../../src/cli.js';
import { run as forward } from '../../src/commands/forward.js';
import { run as replayDlq } from '../../src/commands/replay-dlq.js';
import { blobPathFor, floorHour } from '../../src/ingest/blob/blob-paths.js';
import { FakeServiceBus } from '../fakes/amqp-broker.js';
import { buildRecord, RESOURCE_GROUP, SUBSCRIPTION } from '../fixtures/records.js';

let bus: FakeServiceBus;
let dir: string;

beforeEach(async () => {
  bus = await FakeServiceBus.start({
    queues: [
      { name: 'plain', lockDurationMs: 5_000, duplicateDetectionWindowMs: 600_000 },
      { name: 'audit', sessions: true, duplicateDetectionWindowMs: 600_000 },
    ],
  });
  dir = mkdtempSync(path.join(tmpdir(), 'kvw-ingest-'));
});

afterEach(async () => {
  await bus.close();
  rmSync(dir, { recursive: true, force: true });
});

function io(env: Record<string, string>): CommandIo & { out: () => string; err: () => string } {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (c: Buffer) => (out += c.toString()));
  stderr.on('data', (c: Buffer) => (err += c.toString()));
  return {
    stdout,
    stderr,
    env,
    cwd: dir,
    stopSignal: new Promise(() => {}),
    out: () => out,
    err: () => err,
  };
}

function config(yaml: string): string {
  const file = path.join(dir, 'kv-warden.yaml');
  writeFileSync(file, yaml);
  return file;
}

describe('kv-warden replay-dlq', () => {
  it('lists dead letters with reason and description (never the body), then moves them back', async () => {
    const client = new ServiceBusClient(bus.connectionString);
    await client.createSender('plain').sendMessages({ body: 'SECRET-LOOKING BODY', messageId: 'dl-1' });
    const receiver = client.createReceiver('plain');
    const [m] = await receiver.receiveMessages(1, { maxWaitTimeInMs: 3_000 });
    await receiver.deadLetterMessage(m!, {
      deadLetterReason: 'MalformedBody',
      deadLetterErrorDescription: 'line 1: not JSON',
    });
    const file = config('sources:\n  serviceBus:\n    entities:\n      - queue: plain\n');
    const env = { SERVICEBUS_CONNECTION_STRING: bus.connectionString };

    const dry = io(env);
    expect(await replayDlq(['--config', file, '--dry-run'], dry)).toBe(0);
    expect(dry.out()).toContain('id=dl-1');
    expect(dry.out()).toContain('reason=MalformedBody: line 1: not JSON');
    expect(dry.out()).not.toContain('SECRET-LOOKING');
    expect(bus.entity('plain/$DeadLetterQueue').messages.size).toBe(1);

    const real = io(env);
    expect(await replayDlq(['--config', file, '--entity', 'plain'], real)).toBe(0);
    expect(real.out()).toContain('replayed 1 dead-lettered message(s)');
    expect(bus.entity('plain/$DeadLetterQueue').messages.size).toBe(0);
    const back = [...bus.entity('plain').messages.values()];
    expect(back).toHaveLength(1);
    expect(back[0]?.message.application_properties?.['kvw-replayed-from']).toBe('dl-1');
    expect(back[0]?.message.application_properties?.DeadLetterReason).toBeUndefined();
    await client.close();
  });

  it('refuses an entity that is not configured (usage error)', async () => {
    const file = config('sources:\n  serviceBus:\n    entities:\n      - queue: plain\n');
    await expect(
      replayDlq(
        ['--config', file, '--entity', 'nope'],
        io({ SERVICEBUS_CONNECTION_STRING: bus.connectionString }),
      ),
    ).rejects.toMatchObject({ code: 'KVW_USAGE' });
  });
});

describe('kv-warden forward', () => {
  it('--once sends new records to the queue and checkpoints, so a second run sends nothing', async () => {
    const conn = inject('azuriteConnectionString');
    const containerName = `fwcmd-${Date.now().toString(36)}`;
    const container = BlobServiceClient.fromConnectionString(conn).getContainerClient(containerName);
    await container.create();
    const rid = `/SUBSCRIPTIONS/${SUBSCRIPTION}/RESOURCEGROUPS/${RESOURCE_GROUP}/PROVIDERS/MICROSOFT.KEYVAULT/VAULTS/KV-PROD-PAYMENTS`;
    const blob = container.getAppendBlobClient(blobPathFor(rid, floorHour(Date.now())));
    await blob.create();
    const text = `${JSON.stringify(buildRecord({ at: Date.now() - 1000 }))}\n`;
    await blob.appendBlock(text, Buffer.byteLength(text));
    const file = config(
      `sources:\n  blob:\n    container: ${containerName}\n    sendTo: audit\nstore:\n  duckdb: ${path.join(dir, 'kv.duckdb')}\n`,
    );
    const env = { SERVICEBUS_CONNECTION_STRING: bus.connectionString, AZURE_STORAGE_CONNECTION_STRING: conn };
    const first = io(env);
    expect(await forward(['--config', file, '--once'], first)).toBe(0);
    expect(JSON.parse(first.out())).toMatchObject({ blobs: 1, records: 1, target: 'servicebus:audit' });
    const second = io(env);
    expect(await forward(['--config', file, '--once'], second)).toBe(0);
    expect(JSON.parse(second.out())).toMatchObject({ records: 0 });
    expect(bus.entity('audit').messages.size).toBe(1);
    await container.delete();
  });

  it('names the missing key when the blob source is not configured', async () => {
    const file = config(`store:\n  duckdb: ${path.join(dir, 'kv.duckdb')}\n`);
    await expect(forward(['--config', file, '--once'], io({}))).rejects.toMatchObject({
      keyPath: 'sources.blob',
    });
  });
});
