/**
 * Ingestion benchmarks.
 *  1. Blob forwarder over a large PT1H.json append blob in Azurite (500 MB × BENCH_SCALE): records/s and
 *     peak RSS of a child process running only the forwarder (target ≤ 200 MB whatever the size);
 *     baseline: a child streaming the same blob with a plain download (raw MB/s).
 *  2. Service Bus listener end to end at 500 events/s: latency from send to the recording pipeline,
 *     p50/p99; baseline: the raw SDK send → subscribe loop on the same fake broker.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ServiceBusClient } from '@azure/service-bus';
import { BlobServiceClient } from '@azure/storage-blob';
import type { AuditItem } from '../src/audit/audit-event.js';
import { blobPathFor } from '../src/ingest/blob/blob-paths.js';
import type { IntakePipeline } from '../src/ingest/pipeline.js';
import { MemoryStore } from '../src/store/memory-store.js';
import { silentLogger } from '../src/util/logger.js';
import { startAzurite } from '../test/fakes/azurite.js';
import { buildRecord } from '../test/fixtures/records.js';
import type { BenchResult } from './types.js';

const SCALE = Number(process.env.BENCH_SCALE ?? 1);
const HOUR_MS = Date.parse('2025-06-02T13:00:00Z');
const RID =
  '/SUBSCRIPTIONS/00000000-0000-4000-8000-000000000001/RESOURCEGROUPS/RG-PAYMENTS/PROVIDERS/MICROSOFT.KEYVAULT/VAULTS/KV-PROD-PAYMENTS';
const CONTAINER = 'insights-logs-auditevent';
const RSS_LIMIT_MB = 200;

/** `BENCH_INGEST_PART=forwarder|listener` runs one half. */
export async function run(): Promise<BenchResult[]> {
  const part = process.env.BENCH_INGEST_PART;
  return [
    ...(part === 'listener' ? [] : await forwarderBench()),
    ...(part === 'forwarder' ? [] : await listenerBench()),
  ];
}

// ------------------------------------------------------------------------------------------ forwarder

async function forwarderBench(): Promise<BenchResult[]> {
  const dir = mkdtempSync(path.join(tmpdir(), 'kvw-bench-azurite-'));
  const azurite = await startAzurite({ location: dir });
  try {
    const targetBytes = Math.max(1, Math.round(500 * 1024 * 1024 * SCALE));
    const { records, bytes } = await writeBigBlob(azurite.connectionString, targetBytes);
    const raw = await child(['raw', azurite.connectionString]);
    const ranged = await child(['ranged', azurite.connectionString]);
    const fw = await child(['forward', azurite.connectionString]);
    const mb = bytes / 1024 / 1024;
    const fwRecordsPerSec = fw.records / (fw.ms / 1000);
    const rawMbPerSec = raw.bytes / 1024 / 1024 / (raw.ms / 1000);
    const fwMbPerSec = fw.bytes / 1024 / 1024 / (fw.ms / 1000);
    const rangedMbPerSec = ranged.bytes / 1024 / 1024 / (ranged.ms / 1000);
    return [
      {
        name: `forwarder ${mb.toFixed(0)} MB PT1H.json`,
        metric: 'records/s',
        value: fwRecordsPerSec,
        note: `${fw.records} of ${records} records; ${Math.round((100 * fw.readMs) / fw.ms)}% of the time waiting on ranged reads`,
        pass: fw.records === records,
      },
      {
        name: 'forwarder throughput vs raw download',
        metric: 'MB/s',
        value: fwMbPerSec,
        baseline: rawMbPerSec,
        ratio: fwMbPerSec / rawMbPerSec,
      },
      {
        name: 'forwarder vs 1 MiB ranged reads, no parsing',
        metric: 'MB/s',
        value: fwMbPerSec,
        baseline: rangedMbPerSec,
        ratio: fwMbPerSec / rangedMbPerSec,
      },
      {
        name: 'forwarder peak RSS (child process)',
        metric: 'MB',
        value: fw.maxRssMb,
        baseline: raw.maxRssMb,
        target: `<= ${RSS_LIMIT_MB} MB`,
        pass: fw.maxRssMb <= RSS_LIMIT_MB,
      },
    ];
  } finally {
    azurite.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

async function writeBigBlob(conn: string, targetBytes: number): Promise<{ records: number; bytes: number }> {
  const container = BlobServiceClient.fromConnectionString(conn).getContainerClient(CONTAINER);
  await container.createIfNotExists();
  const blob = container.getAppendBlobClient(blobPathFor(RID, HOUR_MS));
  await blob.create();
  const template = JSON.stringify(buildRecord({ at: '2025-06-02T13:00:00.0000000Z' }));
  const [head, tail] = template.split('2025-06-02T13:00:00.0000000Z') as [string, string];
  let records = 0;
  let bytes = 0;
  const block = 4 * 1024 * 1024 - 4096;
  while (bytes < targetBytes) {
    const parts: string[] = [];
    let size = 0;
    while (size < block && bytes + size < targetBytes) {
      const t = new Date(HOUR_MS + (records % 3_600_000)).toISOString().replace('Z', '0000Z');
      const line = `${head}${t}${tail.replace('5d7b2f0e', (records % 0xffffffff).toString(16).padStart(8, '0'))}\n`;
      parts.push(line);
      size += Buffer.byteLength(line);
      records++;
    }
    const data = Buffer.from(parts.join(''));
    await blob.appendBlock(data, data.length);
    bytes += data.length;
  }
  return { records, bytes };
}

interface ChildReport {
  records: number;
  bytes: number;
  ms: number;
  maxRssMb: number;
  /** Time spent in ranged reads (forwarder child only). */
  readMs: number;
}

function child(args: string[]): Promise<ChildReport> {
  const self = fileURLToPath(import.meta.url);
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, ['--import', 'tsx', self, '--ingest-bench-child', ...args], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    p.stdout.on('data', (c: Buffer) => (out += c.toString()));
    p.on('exit', (code) => {
      if (code !== 0) return reject(new Error(`bench child ${args[0]} exited ${code}`));
      resolve(JSON.parse(out.trim().split('\n').pop()!) as ChildReport);
    });
  });
}

async function childMain(mode: string, conn: string): Promise<void> {
  const container = BlobServiceClient.fromConnectionString(conn).getContainerClient(CONTAINER);
  const started = performance.now();
  let records = 0;
  let bytes = 0;
  let readMs = 0;
  if (mode === 'raw') {
    const res = await container.getBlobClient(blobPathFor(RID, HOUR_MS)).download();
    for await (const c of res.readableStreamBody as AsyncIterable<Buffer>) bytes += c.length;
  } else if (mode === 'ranged') {
    const { AzureBlobContainer } = await import('../src/ingest/blob/blob-container.js');
    const azure = new AzureBlobContainer(container);
    for (;;) {
      const b = await azure.read(blobPathFor(RID, HOUR_MS), bytes, 1024 * 1024);
      if (!b || b.length === 0) break;
      bytes += b.length;
    }
  } else {
    const { AzureBlobContainer } = await import('../src/ingest/blob/blob-container.js');
    const { BlobForwarder } = await import('../src/ingest/blob/blob-forwarder.js');
    const { PipelineSink } = await import('../src/ingest/blob/pipeline-sink.js');
    const { FakeClock } = await import('../src/util/clock.js');
    const counting: IntakePipeline = {
      ingest: async (items: readonly AuditItem[]) => {
        records += items.length;
        return { accepted: items.length, duplicates: 0, alerts: 0 };
      },
    };
    const azure = new AzureBlobContainer(container);
    const timed = {
      list: (prefix: string) => azure.list(prefix),
      read: async (name: string, offset: number, count: number) => {
        const t = performance.now();
        try {
          return await azure.read(name, offset, count);
        } finally {
          readMs += performance.now() - t;
        }
      },
    };
    const fw = new BlobForwarder({
      container: timed,
      containerName: CONTAINER,
      vaults: [],
      sink: new PipelineSink(counting),
      store: new MemoryStore(),
      clock: new FakeClock(HOUR_MS + 30 * 60_000),
      logger: silentLogger,
      ...(process.env.KVW_BENCH_CHUNK ? { chunkBytes: Number(process.env.KVW_BENCH_CHUNK) } : {}),
    });
    bytes = (await fw.pollOnce()).bytes;
  }
  const ms = performance.now() - started;
  const maxRssMb = process.resourceUsage().maxRSS / 1024;
  process.stdout.write(`${JSON.stringify({ records, bytes, ms, maxRssMb, readMs })}\n`);
}

// ------------------------------------------------------------------------------------------ listener

const RATE = 500;
/** Events the listener saw more than once in the last run (redeliveries after a lost lock or link). */
let redelivered = 0;

async function listenerBench(): Promise<BenchResult[]> {
  const seconds = Math.max(2, Math.round(20 * SCALE));
  const { ServiceBusClient } = await import('@azure/service-bus');
  const { FakeServiceBus } = await import('../test/fakes/amqp-broker.js');
  const bus = await FakeServiceBus.start({
    queues: [
      { name: 'raw', lockDurationMs: 30_000 },
      { name: 'audit', sessions: true, lockDurationMs: 30_000 },
    ],
  });
  const client = new ServiceBusClient(bus.connectionString);
  try {
    const raw = await rawLoop(client, seconds);
    const listened = await listenerLoop(client, seconds);
    return [
      {
        name: `listener p50 at ${RATE} events/s`,
        metric: 'ms',
        value: pct(listened, 50),
        baseline: pct(raw, 50),
        note: `${listened.length} events, ${redelivered} redelivered`,
      },
      {
        name: `listener p99 at ${RATE} events/s`,
        metric: 'ms',
        value: pct(listened, 99),
        baseline: pct(raw, 99),
        target: '<= 2x the raw SDK loop',
        pass: pct(listened, 99) <= 2 * pct(raw, 99) && listened.length === RATE * seconds,
      },
    ];
  } finally {
    await client.close();
    await bus.close();
  }
}

/** Sends `RATE` messages per second for `seconds`; message n carries event time HOUR_MS + n; send times in `sentAt`. */
async function paced(
  client: ServiceBusClient,
  queue: string,
  seconds: number,
  sessions: boolean,
  sentAt: Map<number, number>,
): Promise<void> {
  const sender = client.createSender(queue);
  const total = RATE * seconds;
  const start = performance.now();
  for (let i = 0; i < total; i += 10) {
    const due = start + (i / RATE) * 1000;
    const wait = due - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    const batch = Array.from({ length: 10 }, (_, j) => {
      const n = i + j;
      const vault = `kv-bench-${n % 4}`;
      return {
        body: JSON.stringify({ records: [buildRecord({ vault, at: HOUR_MS + n })] }),
        applicationProperties: { n },
        ...(sessions ? { sessionId: vault } : {}),
      };
    });
    const now = performance.now();
    for (let j = 0; j < 10; j++) sentAt.set(i + j, now);
    await sender.sendMessages(batch);
  }
  await sender.close();
}

/** Baseline: the SDK's own send → subscribe loop (auto-complete, no parsing, no pipeline). */
async function rawLoop(client: ServiceBusClient, seconds: number): Promise<number[]> {
  const latencies: number[] = [];
  const sentAt = new Map<number, number>();
  const receiver = client.createReceiver('raw');
  const sub = receiver.subscribe(
    {
      processMessage: async (m) => {
        latencies.push(performance.now() - sentAt.get(Number(m.applicationProperties?.n))!);
      },
      processError: async () => {},
    },
    { autoCompleteMessages: true, maxConcurrentCalls: 4 },
  );
  await paced(client, 'raw', seconds, false, sentAt);
  await waitFor(() => latencies.length >= RATE * seconds);
  await sub.close();
  await receiver.close();
  return latencies;
}

/** The listener on a session queue (4 vaults, 4 workers) into a recording pipeline with event-key dedupe. */
async function listenerLoop(client: ServiceBusClient, seconds: number): Promise<number[]> {
  const latencies: number[] = [];
  const sentAt = new Map<number, number>();
  const seen = new MemoryStore();
  redelivered = 0;
  const recording: IntakePipeline = {
    ingest: async (items) => {
      const audits = items.flatMap((i) => (i.kind === 'audit' ? [i.event] : []));
      const fresh = await seen.markSeen(audits.map((e) => ({ key: e.key, timeMs: e.timeMs })));
      const now = performance.now();
      redelivered += audits.length - fresh.size;
      for (const e of audits) if (fresh.has(e.key)) latencies.push(now - sentAt.get(e.timeMs - HOUR_MS)!);
      return { accepted: fresh.size, duplicates: audits.length - fresh.size, alerts: 0 };
    },
  };
  const { entityRef } = await import('../src/ingest/service-bus/entity.js');
  const { ServiceBusListener } = await import('../src/ingest/service-bus/service-bus-listener.js');
  const listener = new ServiceBusListener({
    client,
    entities: [entityRef({ queue: 'audit', sessions: true, kind: 'audit' })],
    pipeline: recording,
    logger: silentLogger,
    concurrency: 4,
    maxLockRenewalMs: 60_000,
    sessionIdleMs: 2_000,
    sessionRetryMs: 50,
  });
  listener.start();
  await paced(client, 'audit', seconds, true, sentAt);
  await waitFor(() => latencies.length >= RATE * seconds);
  await listener.stop();
  return latencies;
}

async function waitFor(check: () => boolean, ms = 120_000): Promise<void> {
  const deadline = performance.now() + ms;
  while (!check() && performance.now() < deadline) await new Promise((r) => setTimeout(r, 20));
}

function pct(values: number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

if (process.argv[2] === '--ingest-bench-child') {
  await childMain(process.argv[3]!, process.argv[4]!);
}
