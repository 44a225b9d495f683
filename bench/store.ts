/**
 * Store throughput on the embedded DuckDB file: markSeen batches (intake dedupe), CAS updates and reads.
 * Baseline: MemoryStore doing the same work in the same run.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDbStore } from '../src/store/duckdb/duckdb-store.js';
import { MemoryStore } from '../src/store/memory-store.js';
import type { Store } from '../src/store/store.js';
import type { BenchResult } from './types.js';

const scale = Number(process.env.BENCH_SCALE ?? 1);

async function markSeenRate(store: Store, total: number, batch: number): Promise<number> {
  const start = performance.now();
  for (let i = 0; i < total; i += batch) {
    const keys = Array.from({ length: Math.min(batch, total - i) }, (_, j) => ({
      key: `evt-${i + j}-${'x'.repeat(40)}`,
      timeMs: 1_700_000_000_000 + i + j,
    }));
    await store.markSeen(keys);
  }
  return total / ((performance.now() - start) / 1000);
}

async function casRate(store: Store, n: number): Promise<number> {
  let cur = await store.create('alerts', 'bench', { n: 0, pad: 'y'.repeat(500) });
  const start = performance.now();
  for (let i = 0; i < n && cur; i++)
    cur = await store.update('alerts', 'bench', { n: i, pad: 'y'.repeat(500) }, cur.version);
  return n / ((performance.now() - start) / 1000);
}

export async function run(): Promise<BenchResult[]> {
  const dir = await mkdtemp(join(tmpdir(), 'kvw-bench-store-'));
  try {
    const keys = Math.max(2_000, Math.round(200_000 * scale));
    const updates = Math.max(200, Math.round(5_000 * scale));
    const duck = await DuckDbStore.open(join(dir, 'bench.duckdb'));
    const mem = new MemoryStore();
    const seenDuck = await markSeenRate(duck, keys, 2_000);
    const seenMem = await markSeenRate(mem, keys, 2_000);
    const casDuck = await casRate(duck, updates);
    const casMem = await casRate(mem, updates);
    await duck.close();
    return [
      {
        name: 'store.duckdb.markSeen',
        metric: 'keys/s (batches of 2,000)',
        value: seenDuck,
        baseline: seenMem,
        ratio: seenDuck / seenMem,
        target: '>= 20,000 keys/s (10x the 2,000 events/s intake target)',
        pass: seenDuck >= 20_000,
        note: `${keys} keys; baseline = MemoryStore`,
      },
      {
        name: 'store.duckdb.casUpdate',
        metric: 'updates/s (sequential, 0.5 KB documents)',
        value: casDuck,
        baseline: casMem,
        ratio: casDuck / casMem,
        note: `${updates} updates; baseline = MemoryStore`,
      },
    ];
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
