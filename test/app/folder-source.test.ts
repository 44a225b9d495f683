import { appendFile, mkdir, mkdtemp, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { AuditItem, MalformedRecord } from '../../src/audit/audit-event.js';
import { FolderSource } from '../../src/ingest/folder/folder-source.js';
import type { IntakeOrigin, IntakePipeline, IntakeResult } from '../../src/ingest/pipeline.js';
import { MemoryStore } from '../../src/store/memory-store.js';
import { silentLogger } from '../../src/util/logger.js';
import { Metrics } from '../../src/util/metrics.js';
import { buildRecord } from '../fixtures/records.js';

/** Records what reaches the pipeline, in order. */
class CollectingPipeline implements IntakePipeline {
  readonly items: AuditItem[] = [];
  readonly origins: IntakeOrigin[] = [];
  async ingest(items: readonly AuditItem[], origin: IntakeOrigin): Promise<IntakeResult> {
    this.items.push(...items);
    this.origins.push(origin);
    return { accepted: items.length, duplicates: 0, alerts: 0 };
  }
  get times(): string[] {
    return this.items.map((i) => (i.kind === 'audit' ? i.event.time : i.notice.time));
  }
}

const blobPath = (vault: string, hour: string) =>
  `resourceId=/SUBSCRIPTIONS/00000000-0000-4000-8000-000000000001/RESOURCEGROUPS/RG/PROVIDERS/MICROSOFT.KEYVAULT/VAULTS/${vault.toUpperCase()}/y=2025/m=06/d=02/h=${hour}/m=00/PT1H.json`;
const line = (time: string, vault = 'kv-prod-payments') =>
  `${JSON.stringify(buildRecord({ at: time, vault }))}\n`;

let root: string;
let files: string[];
beforeEach(async () => {
  root = await mkdtemp(path.join(tmpdir(), 'kvw-folder-'));
  files = [];
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

async function write(rel: string, text: string): Promise<string> {
  const full = path.join(root, rel);
  await mkdir(path.dirname(full), { recursive: true });
  await writeFile(full, text);
  files.push(full);
  return full;
}

function source(
  pipeline: IntakePipeline,
  store = new MemoryStore(),
  extra: Partial<ConstructorParameters<typeof FolderSource>[0]> = {},
) {
  return new FolderSource({ root, pipeline, store, logger: silentLogger, pollMs: 60_000, ...extra });
}

describe('folder source', () => {
  it('reads every vault’s hourly blobs in hour order', async () => {
    await write(blobPath('kv-b', '10'), line('2025-06-02T10:15:00Z', 'kv-b'));
    await write(blobPath('kv-a', '11'), line('2025-06-02T11:05:00Z', 'kv-a'));
    await write(
      blobPath('kv-a', '09'),
      line('2025-06-02T09:30:00Z', 'kv-a') + line('2025-06-02T09:45:00Z', 'kv-a'),
    );
    const pipeline = new CollectingPipeline();
    const src = source(pipeline);
    await src.start();
    await src.stop();
    expect(pipeline.times).toEqual([
      '2025-06-02T09:30:00.000Z',
      '2025-06-02T09:45:00.000Z',
      '2025-06-02T10:15:00.000Z',
      '2025-06-02T11:05:00.000Z',
    ]);
    expect(src.connected).toBe(true);
    expect(pipeline.origins[0]?.source).toMatch(/^folder:resourceId=\//);
  });

  it('picks up appended lines and new files while running', async () => {
    const file = await write(blobPath('kv-a', '09'), line('2025-06-02T09:30:00Z'));
    const pipeline = new CollectingPipeline();
    const src = source(pipeline);
    await src.start();
    await appendFile(file, line('2025-06-02T09:31:00Z'));
    await write(blobPath('kv-a', '10'), line('2025-06-02T10:01:00Z'));
    await src.poll();
    await src.stop();
    expect(pipeline.times).toEqual([
      '2025-06-02T09:30:00.000Z',
      '2025-06-02T09:31:00.000Z',
      '2025-06-02T10:01:00.000Z',
    ]);
  });

  it('leaves a half-written last line until the writer finishes it', async () => {
    const whole = line('2025-06-02T09:31:00Z');
    const file = await write(blobPath('kv-a', '09'), line('2025-06-02T09:30:00Z') + whole.slice(0, 40));
    const pipeline = new CollectingPipeline();
    const malformed: MalformedRecord[] = [];
    const src = source(pipeline, new MemoryStore(), { onMalformed: (m) => malformed.push(m) });
    await src.start();
    expect(pipeline.times).toEqual(['2025-06-02T09:30:00.000Z']);
    await src.poll();
    expect(pipeline.items).toHaveLength(1);
    await appendFile(file, whole.slice(40));
    await src.poll();
    await src.stop();
    expect(pipeline.times).toEqual(['2025-06-02T09:30:00.000Z', '2025-06-02T09:31:00.000Z']);
    expect(malformed).toEqual([]);
  });

  it('treats a file untouched past the settle time as complete', async () => {
    const file = await write(blobPath('kv-a', '09'), line('2025-06-02T09:30:00Z').trimEnd());
    const old = new Date(Date.parse('2025-06-02T10:00:00Z'));
    await utimes(file, old, old);
    const pipeline = new CollectingPipeline();
    const src = source(pipeline, new MemoryStore(), {
      settleMs: 60_000,
      now: () => Date.parse('2025-06-02T10:05:00Z'),
    });
    await src.start();
    await src.stop();
    expect(pipeline.times).toEqual(['2025-06-02T09:30:00.000Z']);
  });

  it('reports malformed records as file:line: reason, counts them, and keeps going', async () => {
    const file = await write(
      blobPath('kv-a', '09'),
      line('2025-06-02T09:30:00Z') + '{"time": "2025-06-02T09:31:00Z", oops\n' + line('2025-06-02T09:32:00Z'),
    );
    const pipeline = new CollectingPipeline();
    const malformed: MalformedRecord[] = [];
    const metrics = new Metrics();
    const src = source(pipeline, new MemoryStore(), { metrics, onMalformed: (m) => malformed.push(m) });
    await src.start();
    await src.stop();
    expect(pipeline.items).toHaveLength(2);
    expect(malformed).toHaveLength(1);
    expect(malformed[0]).toMatchObject({ source: file, line: 2 });
    expect(src.malformed).toBe(1);
    expect(await metrics.registry.getSingleMetricAsString('kvwarden_malformed_records_total')).toContain(
      'kvwarden_malformed_records_total{source="folder"} 1',
    );
  });

  it('resumes from the stored offsets after a restart instead of reading again', async () => {
    const file = await write(blobPath('kv-a', '09'), line('2025-06-02T09:30:00Z'));
    const store = new MemoryStore();
    const first = new CollectingPipeline();
    const a = source(first, store);
    await a.start();
    await a.stop();
    await appendFile(file, line('2025-06-02T09:31:00Z'));
    const second = new CollectingPipeline();
    const b = source(second, store);
    await b.start();
    await b.stop();
    expect(first.times).toEqual(['2025-06-02T09:30:00.000Z']);
    expect(second.times).toEqual(['2025-06-02T09:31:00.000Z']);
  });

  it('hands many small hourly files to the pipeline as one batch, within the batch limit', async () => {
    for (const hour of ['01', '02', '03', '04', '05'])
      await write(
        blobPath('kv-a', hour),
        line(`2025-06-02T${hour}:10:00Z`) + line(`2025-06-02T${hour}:20:00Z`),
      );
    const pipeline = new CollectingPipeline();
    const src = source(pipeline, new MemoryStore(), { batchItems: 4 });
    await src.start();
    await src.stop();
    expect(pipeline.items).toHaveLength(10);
    expect(pipeline.origins).toHaveLength(3);
  });

  it('does not advance offsets when the pipeline refuses a batch, and delivers it again on the next poll', async () => {
    await write(blobPath('kv-a', '09'), line('2025-06-02T09:30:00Z'));
    const accepted: string[] = [];
    let refuse = true;
    const pipeline: IntakePipeline = {
      async ingest(items) {
        if (refuse) throw new Error('store unavailable');
        for (const i of items) if (i.kind === 'audit') accepted.push(i.event.time);
        return { accepted: items.length, duplicates: 0, alerts: 0 };
      },
    };
    const store = new MemoryStore();
    const src = source(pipeline, store);
    await expect(src.poll()).rejects.toThrow('store unavailable');
    refuse = false;
    await src.poll();
    await src.stop();
    expect(accepted).toEqual(['2025-06-02T09:30:00.000Z']);
  });

  it('reads a file again from the start when it shrinks (replaced)', async () => {
    const file = await write(
      blobPath('kv-a', '09'),
      line('2025-06-02T09:30:00Z') + line('2025-06-02T09:31:00Z'),
    );
    const pipeline = new CollectingPipeline();
    const src = source(pipeline);
    await src.start();
    await writeFile(file, line('2025-06-02T09:40:00Z'));
    await src.poll();
    await src.stop();
    expect(pipeline.times.at(-1)).toBe('2025-06-02T09:40:00.000Z');
  });
});
