import { createHash, randomUUID } from 'node:crypto';
import { ServiceBusClient } from '@azure/service-bus';
import { BlobServiceClient, type ContainerClient } from '@azure/storage-blob';
import { afterEach, beforeEach, describe, expect, inject, it } from 'vitest';
import { AzureBlobContainer, type BlobContainer } from '../../src/ingest/blob/blob-container.js';
import { BlobForwarder } from '../../src/ingest/blob/blob-forwarder.js';
import { blobPathFor, hoursBetween, parseBlobPath } from '../../src/ingest/blob/blob-paths.js';
import type { ForwardChunk, ForwarderSink } from '../../src/ingest/blob/forwarder-sink.js';
import { PipelineSink } from '../../src/ingest/blob/pipeline-sink.js';
import { ServiceBusSink } from '../../src/ingest/blob/service-bus-sink.js';
import { entityRef } from '../../src/ingest/service-bus/entity.js';
import { ServiceBusListener } from '../../src/ingest/service-bus/service-bus-listener.js';
import { MemoryStore } from '../../src/store/memory-store.js';
import type { Store } from '../../src/store/store.js';
import { FakeClock } from '../../src/util/clock.js';
import { silentLogger } from '../../src/util/logger.js';
import { Metrics } from '../../src/util/metrics.js';
import { FakeServiceBus } from '../fakes/amqp-broker.js';
import {
  buildRecord,
  RESOURCE_GROUP,
  SUBSCRIPTION,
  toJsonLines,
  toRecordsBlob,
} from '../fixtures/records.js';
import { intakeStack, RecordingPipeline, until } from './helpers/intake-stack.js';

const rid = (vault: string) =>
  `/SUBSCRIPTIONS/${SUBSCRIPTION}/RESOURCEGROUPS/${RESOURCE_GROUP.toUpperCase()}/PROVIDERS/MICROSOFT.KEYVAULT/VAULTS/${vault.toUpperCase()}`;
const PAYMENTS = rid('kv-prod-payments');

let container: ContainerClient;

beforeEach(async () => {
  const service = BlobServiceClient.fromConnectionString(inject('azuriteConnectionString'));
  container = service.getContainerClient(`fw-${randomUUID().slice(0, 8)}`);
  await container.create();
});

afterEach(async () => {
  await container.delete();
});

async function append(name: string, text: string | Buffer): Promise<void> {
  const blob = container.getAppendBlobClient(name);
  await blob.createIfNotExists();
  const data = typeof text === 'string' ? Buffer.from(text) : text;
  await blob.appendBlock(data, data.length);
}

/** A sink that records chunks and can be told to fail. */
class RecordingSink implements ForwarderSink {
  readonly chunks: ForwardChunk[] = [];
  failing = false;
  async deliver(chunk: ForwardChunk): Promise<void> {
    if (this.failing) throw new Error('service bus unavailable');
    this.chunks.push(chunk);
  }
  times(): string[] {
    return this.chunks.flatMap((c) => c.items.map((i) => (i.kind === 'audit' ? i.event.time : '')));
  }
}

/** Appends to the blob right after the forwarder's first ranged read returns: a writer racing the reader. */
class RacingContainer implements BlobContainer {
  private raced = false;
  constructor(
    private readonly inner: BlobContainer,
    private readonly race: () => Promise<void>,
  ) {}
  list(prefix: string) {
    return this.inner.list(prefix);
  }
  async read(name: string, offset: number, count: number): Promise<Buffer | undefined> {
    const bytes = await this.inner.read(name, offset, count);
    if (!this.raced) {
      this.raced = true;
      await this.race();
    }
    return bytes;
  }
}

function forwarder(
  sink: ForwarderSink,
  opts: {
    clock: FakeClock;
    store?: Store;
    vaults?: string[];
    metrics?: Metrics;
    chunkBytes?: number;
    wrap?: (c: BlobContainer) => BlobContainer;
  },
) {
  const azure = new AzureBlobContainer(container);
  return new BlobForwarder({
    container: opts.wrap ? opts.wrap(azure) : azure,
    containerName: container.containerName,
    vaults: opts.vaults ?? [],
    sink,
    store: opts.store ?? new MemoryStore(),
    clock: opts.clock,
    logger: silentLogger,
    metrics: opts.metrics,
    chunkBytes: opts.chunkBytes,
  });
}

const at = (iso: string) => Date.parse(iso);
const line = (iso: string, vault?: string) =>
  JSON.stringify(buildRecord({ at: iso, ...(vault ? { vault } : {}) }));

describe('blob paths', () => {
  it('parses the resource-log layout and walks hours across day, month and year boundaries', () => {
    const name = blobPathFor(PAYMENTS, at('2025-12-31T23:00:00Z'));
    expect(name).toBe(`resourceId=${PAYMENTS}/y=2025/m=12/d=31/h=23/m=00/PT1H.json`);
    expect(parseBlobPath(name)).toEqual({
      resourceId: PAYMENTS,
      vault: 'kv-prod-payments',
      hourMs: at('2025-12-31T23:00:00Z'),
    });
    expect(parseBlobPath('resourceId=/x/y=2025/m=01/d=01/h=00/m=00/other.json')).toBeUndefined();
    expect(hoursBetween(at('2025-12-31T22:30:00Z'), at('2026-01-01T00:10:00Z'))).toEqual([
      at('2025-12-31T22:00:00Z'),
      at('2025-12-31T23:00:00Z'),
      at('2026-01-01T00:00:00Z'),
    ]);
  });
});

describe('blob forwarder over Azurite', () => {
  it('tails an append blob from its byte offset; a half-written last line waits for the rest', async () => {
    const clock = new FakeClock(at('2025-06-02T13:20:00Z'));
    const sink = new RecordingSink();
    const store = new MemoryStore();
    const fw = forwarder(sink, { clock, store });
    const name = blobPathFor(PAYMENTS, at('2025-06-02T13:00:00Z'));
    await append(name, `${line('2025-06-02T13:01:00Z')}\n${line('2025-06-02T13:02:00Z')}\n`);
    const third = line('2025-06-02T13:03:00Z');
    await append(name, third.slice(0, 40));
    await fw.pollOnce();
    expect(sink.times()).toEqual(['2025-06-02T13:01:00.000Z', '2025-06-02T13:02:00.000Z']);

    await append(name, `${third.slice(40)}\n`);
    await fw.pollOnce();
    expect(sink.times()).toHaveLength(3);
    expect(sink.times()[2]).toBe('2025-06-02T13:03:00.000Z');
    const cp = await store.get<{ offset: number; line: number }>(
      'checkpoints',
      `blob:${container.containerName}/${name}`,
    );
    const size = (await container.getBlobClient(name).getProperties()).contentLength;
    expect(cp?.value).toMatchObject({ offset: size, line: 4 });

    await fw.pollOnce();
    expect(sink.times()).toHaveLength(3);
  });

  it('forwards every record once when the blob is appended while it is being read', async () => {
    const clock = new FakeClock(at('2025-06-02T13:30:00Z'));
    const sink = new RecordingSink();
    const store = new MemoryStore();
    const name = blobPathFor(PAYMENTS, at('2025-06-02T13:00:00Z'));
    const times = Array.from({ length: 30 }, (_, i) =>
      new Date(at('2025-06-02T13:00:00Z') + i * 1000).toISOString().replace('.000Z', 'Z'),
    );
    const lines = times.map((t) => line(t));
    await append(name, `${lines.slice(0, 20).join('\n')}\n`);
    const tail = lines[29]!;
    // While the first range is being read, the writer appends nine lines and half of the tenth.
    const wrap = (c: BlobContainer) =>
      new RacingContainer(c, () => append(name, `${lines.slice(20, 29).join('\n')}\n${tail.slice(0, 50)}`));
    const fw = forwarder(sink, { clock, store, chunkBytes: 4096, wrap });
    await fw.pollOnce();
    // The same pass reads on past the size it listed, up to the half line, which waits for its end.
    expect(sink.times()).toHaveLength(29);
    await append(name, `${tail.slice(50)}\n`);
    await fw.pollOnce();
    await fw.pollOnce();

    const expected = times.map((t) => new Date(t).toISOString());
    expect(sink.times()).toEqual(expected);
    const size = (await container.getBlobClient(name).getProperties()).contentLength;
    const cp = await store.get<{ offset: number; line: number }>(
      'checkpoints',
      `blob:${container.containerName}/${name}`,
    );
    expect(cp?.value).toMatchObject({ offset: size, line: 31 });
  });

  it('follows the hour rollover and picks up late records appended to the previous hour’s blob', async () => {
    const clock = new FakeClock(at('2025-06-30T23:50:00Z'));
    const sink = new RecordingSink();
    const fw = forwarder(sink, { clock });
    const june = blobPathFor(PAYMENTS, at('2025-06-30T23:00:00Z'));
    const july = blobPathFor(PAYMENTS, at('2025-07-01T00:00:00Z'));
    await append(june, `${line('2025-06-30T23:40:00Z')}\n`);
    await fw.pollOnce();
    clock.set('2025-07-01T00:04:00Z');
    await append(july, `${line('2025-07-01T00:01:00Z')}\n`);
    await append(june, `${line('2025-06-30T23:59:58Z')}\n`); // received late, still bucketed in June's blob
    await fw.pollOnce();
    expect(sink.times()).toEqual([
      '2025-06-30T23:40:00.000Z',
      '2025-06-30T23:59:58.000Z',
      '2025-07-01T00:01:00.000Z',
    ]);
    clock.set('2025-07-01T00:30:00Z');
    await append(june, `${line('2025-06-30T23:59:59Z')}\n`);
    await fw.pollOnce();
    expect(sink.times()).toHaveLength(4);
    expect(sink.times()[3]).toBe('2025-06-30T23:59:59.000Z');
  });

  it('reads a legacy {"records":[…]} block blob whole, once per version', async () => {
    const clock = new FakeClock(at('2025-06-02T13:30:00Z'));
    const sink = new RecordingSink();
    const fw = forwarder(sink, { clock });
    const name = blobPathFor(PAYMENTS, at('2025-06-02T13:00:00Z'));
    const doc = toRecordsBlob(
      [buildRecord({ at: '2025-06-02T13:01:00Z' }), buildRecord({ at: '2025-06-02T13:02:00Z' })],
      {
        pretty: true,
      },
    );
    await container.getBlockBlobClient(name).upload(doc, Buffer.byteLength(doc));
    await fw.pollOnce();
    await fw.pollOnce();
    expect(sink.times()).toEqual(['2025-06-02T13:01:00.000Z', '2025-06-02T13:02:00.000Z']);
    expect(sink.chunks[0]?.whole).toBe(true);
  });

  it('advances the checkpoint only after the send succeeded', async () => {
    const clock = new FakeClock(at('2025-06-02T13:30:00Z'));
    const sink = new RecordingSink();
    const fw = forwarder(sink, { clock });
    await append(blobPathFor(PAYMENTS, at('2025-06-02T13:00:00Z')), `${line('2025-06-02T13:01:00Z')}\n`);
    sink.failing = true;
    await fw.pollOnce().catch(() => undefined);
    sink.failing = false;
    await fw.pollOnce();
    expect(sink.times()).toEqual(['2025-06-02T13:01:00.000Z']);
  });

  it('follows only the configured vaults (resource ids compared case-insensitively)', async () => {
    const clock = new FakeClock(at('2025-06-02T13:30:00Z'));
    const sink = new RecordingSink();
    const fw = forwarder(sink, { clock, vaults: [PAYMENTS.toLowerCase()] });
    const hour = at('2025-06-02T13:00:00Z');
    await append(blobPathFor(PAYMENTS, hour), `${line('2025-06-02T13:01:00Z')}\n`);
    await append(blobPathFor(rid('kv-other'), hour), `${line('2025-06-02T13:02:00Z', 'kv-other')}\n`);
    await fw.pollOnce();
    expect(sink.chunks.map((c) => c.vault)).toEqual(['kv-prod-payments']);
  });

  it('reports a malformed line with file:line and forwards the rest', async () => {
    const clock = new FakeClock(at('2025-06-02T13:30:00Z'));
    const sink = new RecordingSink();
    const fw = forwarder(sink, { clock });
    const name = blobPathFor(PAYMENTS, at('2025-06-02T13:00:00Z'));
    await append(name, `${line('2025-06-02T13:01:00Z')}\n{"broken":\n${line('2025-06-02T13:03:00Z')}\n`);
    await fw.pollOnce();
    expect(sink.times()).toHaveLength(2);
    expect([...(sink.chunks[0]?.malformedLines ?? [])]).toEqual([2]);
  });

  it('reads a blob much larger than one ranged read in bounded chunks', async () => {
    const clock = new FakeClock(at('2025-06-02T13:30:00Z'));
    const sink = new RecordingSink();
    const fw = forwarder(sink, { clock, chunkBytes: 4096 });
    const lines = Array.from({ length: 60 }, (_, i) =>
      line(new Date(at('2025-06-02T13:00:00Z') + i * 1000).toISOString()),
    );
    await append(blobPathFor(PAYMENTS, at('2025-06-02T13:00:00Z')), `${lines.join('\n')}\n`);
    await fw.pollOnce();
    expect(sink.times()).toHaveLength(60);
    expect(Math.max(...sink.chunks.map((c) => c.raw.length))).toBeLessThanOrEqual(4096);
  });

  it('publishes the lag metric per vault (zero once caught up)', async () => {
    const clock = new FakeClock(at('2025-06-02T13:30:00Z'));
    const metrics = new Metrics();
    const fw = forwarder(new RecordingSink(), { clock, metrics });
    await append(blobPathFor(PAYMENTS, at('2025-06-02T13:00:00Z')), `${line('2025-06-02T13:01:00Z')}\n`);
    await fw.pollOnce();
    const text = await metrics.registry.getSingleMetricAsString('kvwarden_forwarder_lag_seconds');
    expect(text).toContain('kvwarden_forwarder_lag_seconds{vault="kv-prod-payments"} 0');
  });

  it('feeds the intake pipeline in-process when no Service Bus is configured', async () => {
    const clock = new FakeClock(at('2025-06-02T13:30:00Z'));
    const pipeline = new RecordingPipeline();
    const fw = forwarder(new PipelineSink(pipeline), { clock });
    await append(blobPathFor(PAYMENTS, at('2025-06-02T13:00:00Z')), `${line('2025-06-02T13:01:00Z')}\n`);
    await fw.pollOnce();
    expect(pipeline.events().map((e) => e.vault)).toEqual(['kv-prod-payments']);
    expect(pipeline.accepted[0]?.origin.source).toMatch(/^blob:resourceId=/);
  });
});

describe('blob forwarder → Service Bus → listener', () => {
  let bus: FakeServiceBus;
  let client: ServiceBusClient;

  beforeEach(async () => {
    bus = await FakeServiceBus.start({
      queues: [{ name: 'audit', sessions: true, lockDurationMs: 2_000, duplicateDetectionWindowMs: 600_000 }],
      maxMessageSize: 8 * 1024,
    });
    client = new ServiceBusClient(bus.connectionString);
  });

  afterEach(async () => {
    await client.close();
    await bus.close();
  });

  it('sends batches within the tier limit with MessageId = content hash and SessionId = vault', async () => {
    const clock = new FakeClock(at('2025-06-02T13:30:00Z'));
    const sink = new ServiceBusSink(client.createSender('audit'), 3 * 1024);
    const fw = forwarder(sink, { clock });
    const lines = Array.from({ length: 40 }, (_, i) =>
      line(new Date(at('2025-06-02T13:00:00Z') + i * 1000).toISOString()),
    );
    await append(blobPathFor(PAYMENTS, at('2025-06-02T13:00:00Z')), `${lines.join('\n')}\n`);
    await fw.pollOnce();
    const stored = [...bus.entity('audit').messages.values()];
    expect(stored.length).toBeGreaterThan(10);
    let total = 0;
    for (const m of stored) {
      const body = Buffer.from((m.message.body as { content: Buffer }).content);
      expect(body.length).toBeLessThanOrEqual(3 * 1024);
      expect(m.messageId).toBe(createHash('sha256').update(body).digest('hex'));
      expect(m.sessionId).toBe('kv-prod-payments');
      total += body.toString().trim().split('\n').length;
    }
    expect(total).toBe(40);
  });

  it('re-sends after a crash before the checkpoint, and duplicate detection drops the copies', async () => {
    const clock = new FakeClock(at('2025-06-02T13:30:00Z'));
    const store = new MemoryStore();
    let crash = true;
    const crashing: Store = Object.assign(Object.create(store) as Store, {
      create: async <T>(c: string, id: string, v: T) => {
        if (crash && id.startsWith('blob:')) throw new Error('process killed before the checkpoint');
        return store.create(c, id, v);
      },
    });
    const sink = new ServiceBusSink(client.createSender('audit'), 2 * 1024);
    const name = blobPathFor(PAYMENTS, at('2025-06-02T13:00:00Z'));
    const lines = Array.from({ length: 10 }, (_, i) =>
      line(new Date(at('2025-06-02T13:00:00Z') + i * 1000).toISOString()),
    );
    await append(name, `${lines.join('\n')}\n`);
    await expect(forwarder(sink, { clock, store: crashing }).pollOnce()).rejects.toThrow(/killed/);
    const afterCrash = bus.entity('audit').messages.size;
    expect(afterCrash).toBeGreaterThan(0);
    crash = false;
    await forwarder(sink, { clock, store: crashing }).pollOnce();
    expect(bus.entity('audit').messages.size).toBe(afterCrash);
    expect(sink.sent).toBe(afterCrash * 2);
  });

  it('end to end: the same purge forwarded twice (new checkpoint store) gives one alert and one card', async () => {
    const clock = new FakeClock(at('2025-06-02T11:30:00Z'));
    const stack = intakeStack();
    const name = blobPathFor(PAYMENTS, at('2025-06-02T11:00:00Z'));
    await append(
      name,
      toJsonLines([buildRecord({ preset: 'secretPurge' }), buildRecord({ at: '2025-06-02T11:20:00Z' })]),
    );
    const sink = new ServiceBusSink(client.createSender('audit'));
    await forwarder(sink, { clock }).pollOnce();
    // a lost checkpoint store re-sends everything; the broker's duplicate window is bypassed by a smaller body size
    await forwarder(new ServiceBusSink(client.createSender('audit'), 600), { clock }).pollOnce();
    const listener = new ServiceBusListener({
      client,
      entities: [entityRef({ queue: 'audit', sessions: true, kind: 'audit' })],
      pipeline: stack.pipeline,
      logger: silentLogger,
      concurrency: 1,
      maxLockRenewalMs: 10_000,
      sessionIdleMs: 200,
      sessionRetryMs: 50,
    });
    listener.start();
    await until(() => bus.entity('audit').messages.size === 0, 10_000, 'queue drained');
    await listener.stop();
    await stack.outbox.drain();
    expect((await stack.alerts()).map((a) => a.rule)).toEqual(['destructive-operation']);
    expect(stack.cards()).toHaveLength(1);
  });
});
