/**
 * Alert path: detections → AlertService.record → outbox → chat surface (an in-process surface that
 * answers at once), with the outbox worker running as in `serve`. Figures: alerts recorded per second,
 * latency from `record` to the card posted (p50/p99), peak outbox depth, and how far grouped repeats
 * coalesce into card edits. MemoryStore is the baseline for the embedded DuckDB store.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AlertService } from '../src/alerts/alert-service.js';
import { Outbox } from '../src/alerts/outbox.js';
import type { CardLocation, CardMessage, ChatSurface } from '../src/chat/chat-surface.js';
import { Directory } from '../src/config/directory.js';
import { loadConfig } from '../src/config/load.js';
import type { Detection } from '../src/detect/detection.js';
import { DuckDbStore } from '../src/store/duckdb/duckdb-store.js';
import { MemoryStore } from '../src/store/memory-store.js';
import type { Store } from '../src/store/store.js';
import { systemClock } from '../src/util/clock.js';
import type { BenchResult } from './types.js';

const scale = Number(process.env.BENCH_SCALE ?? 1);

class TimingSurface implements ChatSurface {
  readonly name = 'console' as const;
  readonly postedAt = new Map<string, number>();
  updates = 0;
  private n = 0;
  async postCard(channel: string, message: CardMessage): Promise<CardLocation> {
    const id = (message.card.refresh as { action: { data: { alertId: string } } }).action.data.alertId;
    this.postedAt.set(id, performance.now());
    return { surface: 'console', channel, messageId: `m${++this.n}` };
  }
  async updateCard(): Promise<void> {
    this.updates++;
  }
  async postText(): Promise<void> {}
}

function detection(i: number, principals: number, prefix = 'p'): Detection {
  const timeMs = Date.parse('2025-06-02T12:00:00Z') + i * 1000;
  return {
    rule: 'destructive-operation',
    severity: 'high',
    vault: 'kv-prod-payments',
    principal: `${prefix}-${i % principals}`,
    time: new Date(timeMs).toISOString(),
    timeMs,
    summary: `${prefix}-${i % principals} purged secret s-${i}`,
    eventKeys: [`ek-${i}`],
    evidence: { operation: 'SecretPurge', object: `s-${i}` },
  };
}

function pct(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
}

async function scenario(store: Store, alerts: number, repeats: number) {
  const config = loadConfig({ env: {}, text: '{}' });
  const surface = new TimingSurface();
  const outbox = new Outbox({ store, clock: systemClock, surfaces: [surface], options: { pollMs: 20 } });
  const service = new AlertService({
    store,
    clock: systemClock,
    config,
    directory: new Directory(config),
    outbox,
  });
  outbox.start();
  const startedAt = new Map<string, number>();
  let peakDepth = 0;
  const t0 = performance.now();
  for (let i = 0; i < alerts; i++) {
    const before = performance.now();
    const [r] = await service.record([detection(i, alerts)]);
    if (r) startedAt.set(r.alert.id, before);
    if (i % 100 === 0) peakDepth = Math.max(peakDepth, await outbox.depth());
  }
  const recordSeconds = (performance.now() - t0) / 1000;
  for (let i = 0; i < repeats; i++) await service.record([detection(alerts + i, 20, 'r')]);
  while ((await outbox.depth()) > 0) await new Promise((r) => setTimeout(r, 20));
  await outbox.stop();
  const lat = [...startedAt]
    .map(([id, t]) => (surface.postedAt.get(id) ?? Number.NaN) - t)
    .sort((a, b) => a - b);
  return {
    rate: alerts / recordSeconds,
    p50: pct(lat, 50),
    p99: pct(lat, 99),
    peakDepth,
    posted: surface.postedAt.size,
    updates: surface.updates,
  };
}

export async function run(): Promise<BenchResult[]> {
  const alerts = Math.max(50, Math.round(2_000 * scale));
  const repeats = Math.max(50, Math.round(2_000 * scale));
  const mem = await scenario(new MemoryStore(), alerts, repeats);
  const dir = await mkdtemp(join(tmpdir(), 'kvw-bench-alerts-'));
  const duck = await DuckDbStore.open(join(dir, 'bench.duckdb'));
  let db: Awaited<ReturnType<typeof scenario>>;
  try {
    db = await scenario(duck, alerts, repeats);
  } finally {
    await duck.close();
    await rm(dir, { recursive: true, force: true });
  }
  return [
    {
      name: 'alerts recorded (DuckDB)',
      metric: 'alerts/s',
      value: db.rate,
      baseline: mem.rate,
      note: `${alerts} new alerts`,
    },
    { name: 'record → card posted p50 (DuckDB)', metric: 'ms', value: db.p50, baseline: mem.p50 },
    { name: 'record → card posted p99 (DuckDB)', metric: 'ms', value: db.p99, baseline: mem.p99 },
    { name: 'peak outbox depth (DuckDB)', metric: 'items', value: db.peakDepth, baseline: mem.peakDepth },
    {
      name: 'cards posted = alerts (DuckDB)',
      metric: 'cards',
      value: db.posted,
      target: `= ${alerts + 20}`,
      pass: db.posted === alerts + 20 && mem.posted === alerts + 20,
    },
    {
      name: 'card edits for grouped repeats (DuckDB)',
      metric: 'edits',
      value: db.updates,
      baseline: mem.updates,
      target: `≤ ${repeats} (coalesced)`,
      pass: db.updates <= repeats,
      note: `${repeats} repeats into 20 alerts`,
    },
  ];
}

if (import.meta.url === `file://${process.argv[1]}`) {
  for (const r of await run()) console.log(r);
}
