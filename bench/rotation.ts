/**
 * Rotation latency in embedded mode: request → approve → regenerate → write → verify → done, with the local
 * vault provider, on the DuckDB store (what `npm start` uses). Baseline: the same on MemoryStore.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ChatActor } from '../src/chat/chat-surface.js';
import { Directory } from '../src/config/directory.js';
import { readEnv } from '../src/config/env.js';
import { parseConfig } from '../src/config/load.js';
import { LocalVaultProvider } from '../src/rotation/local-vault-provider.js';
import { RotationService } from '../src/rotation/rotation-service.js';
import { DEMO_SECRET, DEMO_VAULT, seedDemoVault } from '../src/rotation/seed-demo-vault.js';
import { DuckDbStore } from '../src/store/duckdb/duckdb-store.js';
import { MemoryStore } from '../src/store/memory-store.js';
import type { Store } from '../src/store/store.js';
import { systemClock } from '../src/util/clock.js';
import type { BenchResult } from './types.js';

const scale = Number(process.env.BENCH_SCALE ?? 1);
const alice: ChatActor = { surface: 'console', userId: 'alice' };
const carol: ChatActor = { surface: 'console', userId: 'carol' };

async function rotations(store: Store, n: number): Promise<number[]> {
  const config = parseConfig(
    { people: { alice: {}, carol: {} }, roles: { requester: ['alice'], approver: ['carol'] } },
    readEnv({}),
  );
  const local = new LocalVaultProvider(store, systemClock);
  await seedDemoVault(local, { nowMs: Date.now() });
  const service = new RotationService({
    store,
    vault: local,
    rotator: local,
    directory: new Directory(config),
    clock: systemClock,
    config: { requestTtlMs: 3_600_000, approvalsRequired: 1 },
  });
  const times: number[] = [];
  for (let i = 0; i < n; i++) {
    const start = performance.now();
    const r = await service.request(alice, DEMO_VAULT, DEMO_SECRET, `bench ${i}`);
    const done = await (await service.approve(carol, r.id, r.planHash)).execution;
    if (done?.state !== 'done') throw new Error(`rotation ended ${done?.state}`);
    times.push(performance.now() - start);
  }
  return times.sort((a, b) => a - b);
}

const median = (xs: number[]) => xs[Math.floor(xs.length / 2)] ?? Number.NaN;

export async function run(): Promise<BenchResult[]> {
  const n = Math.max(5, Math.round(50 * scale));
  const dir = await mkdtemp(join(tmpdir(), 'kvw-bench-rot-'));
  try {
    const duck = await DuckDbStore.open(join(dir, 'rot.duckdb'));
    const onDuck = await rotations(duck, n);
    await duck.close();
    const onMem = await rotations(new MemoryStore(), n);
    return [
      {
        name: 'rotation.local.end-to-end',
        metric: 'ms per rotation (p50, request → done, DuckDB)',
        value: median(onDuck),
        baseline: median(onMem),
        ratio: median(onDuck) / median(onMem),
        target: '< 1,000 ms',
        pass: median(onDuck) < 1000,
        note: `${n} rotations; baseline = MemoryStore; max ${Math.round(onDuck.at(-1) ?? 0)} ms`,
      },
    ];
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
