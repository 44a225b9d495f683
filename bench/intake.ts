/**
 * Sustained intake with the console attached: audit events at 2,000/s (BENCH_SCALE scales the duration,
 * 20 s at scale 1) through the real intake pipeline (event keys in DuckDB, detection, alerts, outbox)
 * into the console surface, with a server-sent-events client reading the cards over HTTP like the page
 * does. One event in 400 (5 a second) is a secret purge by a fresh principal, so it becomes a new alert and a new card.
 * Figures: p50/p99 from the event being read (handed to the pipeline) to its card arriving at the SSE
 * client, the sustained rate, and the outbox depth sampled every second. Baseline, same run: the same
 * flow with a no-op surface (latency to postCard). Detector lateness is 200 ms here (default 15 min).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Fastify from 'fastify';
import { AlertService } from '../src/alerts/alert-service.js';
import { Outbox } from '../src/alerts/outbox.js';
import { DefaultIntakePipeline } from '../src/app/intake-pipeline.js';
import type { AuditEvent, AuditItem } from '../src/audit/audit-event.js';
import type { CardLocation, CardMessage, ChatHandler, ChatSurface } from '../src/chat/chat-surface.js';
import { registerConsoleRoutes } from '../src/chat/console/console-routes.js';
import { ConsoleSurface } from '../src/chat/console/console-surface.js';
import { Directory } from '../src/config/directory.js';
import { loadConfig } from '../src/config/load.js';
import { DetectionEngine } from '../src/detect/engine.js';
import { DuckDbStore } from '../src/store/duckdb/duckdb-store.js';
import { systemClock } from '../src/util/clock.js';
import { silentLogger } from '../src/util/logger.js';
import { Metrics } from '../src/util/metrics.js';
import type { BenchResult } from './types.js';

const scale = Number(process.env.BENCH_SCALE ?? 1);
const RATE = 2_000;
const ATTACK_EVERY = 400;
const TICK_MS = 50;
const IN_FLIGHT = 4;

const config = loadConfig({
  text: 'detection: { lateness: 200ms, rules: { mass-secret-retrieval: { enabled: false } } }',
  env: {},
});

/** A no-op surface: the baseline measures everything except the console and its SSE client. */
class NoopSurface implements ChatSurface {
  readonly name = 'console' as const;
  private n = 0;
  constructor(private readonly onCard: (card: CardMessage) => void) {}
  async postCard(channel: string, message: CardMessage): Promise<CardLocation> {
    this.onCard(message);
    return { surface: 'console', channel, messageId: `m${++this.n}` };
  }
  async updateCard(): Promise<void> {}
  async postText(): Promise<void> {}
}

let keySeq = 0;
function event(timeMs: number, n: number, attack: boolean): AuditEvent {
  const vault = `kv-bench-${n % 3}`;
  const principal = attack ? `attacker-${n}` : `app-${n % 50}`;
  const name = attack ? `probe${n}x` : `s-${n % 20}`;
  return {
    key: `k${++keySeq}-${timeMs}-${n}`,
    time: new Date(timeMs).toISOString(),
    timeMs,
    vault,
    resourceId: `/subscriptions/s/resourcegroups/rg/providers/microsoft.keyvault/vaults/${vault}`,
    operation: attack ? 'SecretPurge' : 'SecretGet',
    status: attack ? 204 : 200,
    success: true,
    principal,
    identity: { objectId: principal },
    ip: '10.0.0.1',
    object: { type: 'secret', deleted: attack, name },
    authorization: { model: 'rbac', authorized: true },
  };
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

interface RunResult {
  p50: number;
  p99: number;
  rate: number;
  cards: number;
  expected: number;
  depthMax: number;
  depths: number[];
}

async function runOnce(mode: 'console' | 'noop', dir: string): Promise<RunResult> {
  const store = await DuckDbStore.open(join(dir, `${mode}.duckdb`));
  const readAt = new Map<number, number>();
  const latencies: number[] = [];
  const onCard = (text: string) => {
    const m = /probe(\d+)x/.exec(text);
    if (!m) return;
    const n = Number(m[1]);
    const t0 = readAt.get(n);
    if (t0 !== undefined) {
      latencies.push(performance.now() - t0);
      readAt.delete(n);
    }
  };
  const directory = new Directory(config);
  let surface: ChatSurface;
  let closeServer = async () => {};
  let abort = () => {};
  if (mode === 'console') {
    const consoleSurface = new ConsoleSurface(store);
    surface = consoleSurface;
    const app = Fastify({ forceCloseConnections: true });
    const handler: ChatHandler = { handleAction: async () => ({}), handleCommand: async () => ({}) };
    await registerConsoleRoutes(app, {
      surface: consoleSurface,
      handler,
      directory,
      token: 't',
      logger: silentLogger,
    });
    const url = await app.listen({ host: '127.0.0.1', port: 0 });
    const controller = new AbortController();
    abort = () => controller.abort();
    const res = await fetch(`${url}/console/events`, {
      headers: { cookie: 'kvw_console=t' },
      signal: controller.signal,
    });
    const reader = res.body!.getReader();
    const decoder = new TextDecoder();
    void (async () => {
      let buffer = '';
      for (;;) {
        const { value, done } = await reader.read().catch(() => ({ value: undefined, done: true }));
        if (done) return;
        buffer += decoder.decode(value, { stream: true });
        let end = buffer.indexOf('\n\n');
        while (end >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          if (block.startsWith('event: post')) onCard(block);
          end = buffer.indexOf('\n\n');
        }
      }
    })();
    closeServer = () => app.close();
  } else {
    surface = new NoopSurface((card) => onCard(JSON.stringify(card.card)));
  }
  const metrics = new Metrics();
  const outbox = new Outbox({
    store,
    clock: systemClock,
    surfaces: [surface],
    metrics,
    options: { pollMs: 50 },
  });
  const alerts = new AlertService({ store, clock: systemClock, config, directory, outbox, metrics });
  const pipeline = new DefaultIntakePipeline({
    store,
    detector: new DetectionEngine({ detection: config.detection, vaults: config.vaults }),
    alerts,
    clock: systemClock,
    logger: silentLogger,
    metrics,
    idleMs: 100,
  });
  outbox.start();
  pipeline.start();

  const durationMs = Math.max(1_000, 20_000 * scale);
  const depths: number[] = [];
  const sampler = setInterval(() => {
    outbox
      .depth()
      .then((d) => depths.push(d))
      .catch(() => undefined);
  }, 1_000);
  const start = performance.now();
  const wallStart = Date.now();
  let sent = 0;
  let expected = 0;
  const inFlight = new Set<Promise<void>>();
  while (performance.now() - start < durationMs) {
    const due = Math.floor(((performance.now() - start) / 1000) * RATE);
    const items: AuditItem[] = [];
    const now = performance.now();
    for (; sent < due; sent++) {
      const attack = sent % ATTACK_EVERY === ATTACK_EVERY - 1;
      if (attack) {
        readAt.set(sent, now);
        expected++;
      }
      items.push({ kind: 'audit', event: event(wallStart + (now - start), sent, attack) });
    }
    if (items.length > 0) {
      // Like Service Bus with concurrency 4: up to four batches in flight, sharing checkpoints.
      const p = pipeline.ingest(items, { source: 'bench:intake' }).then(() => {
        inFlight.delete(p);
      });
      inFlight.add(p);
      if (inFlight.size >= IN_FLIGHT) await Promise.race(inFlight);
    }
    const wait = TICK_MS - (performance.now() - now);
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
  }
  await Promise.all(inFlight);
  const elapsed = performance.now() - start;
  // Let the idle timer close the last windows and the outbox drain.
  const deadline = performance.now() + 10_000;
  while (readAt.size > 0 && performance.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  clearInterval(sampler);
  depths.push(await outbox.depth());
  await pipeline.stop();
  await outbox.stop();
  abort();
  await closeServer();
  await store.close();
  latencies.sort((a, b) => a - b);
  return {
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
    rate: (sent / elapsed) * 1000,
    cards: latencies.length,
    expected,
    depthMax: Math.max(0, ...depths),
    depths,
  };
}

export async function run(): Promise<BenchResult[]> {
  const dir = await mkdtemp(join(tmpdir(), 'kvw-bench-intake-'));
  try {
    const base = await runOnce('noop', dir);
    const withConsole = await runOnce('console', dir);
    const series = withConsole.depths.join(',');
    return [
      {
        name: 'intake → console: sustained rate',
        metric: 'events/s',
        value: withConsole.rate,
        baseline: base.rate,
        ratio: withConsole.rate / base.rate,
        target: `≥ ${RATE * 0.95}`,
        pass: withConsole.rate >= RATE * 0.95,
      },
      {
        name: 'intake → console: read → card p50',
        metric: 'ms',
        value: withConsole.p50,
        baseline: base.p50,
        ratio: withConsole.p50 / base.p50,
        note: 'includes 200 ms detector lateness; baseline = no-op surface',
      },
      {
        name: 'intake → console: read → card p99',
        metric: 'ms',
        value: withConsole.p99,
        baseline: base.p99,
        ratio: withConsole.p99 / base.p99,
        target: '< 2000',
        pass: withConsole.p99 < 2_000,
      },
      {
        name: 'intake → console: cards delivered',
        metric: 'cards',
        value: withConsole.cards,
        baseline: withConsole.expected,
        target: 'all',
        pass: withConsole.cards === withConsole.expected,
      },
      {
        name: 'intake → console: outbox depth max',
        metric: 'items',
        value: withConsole.depthMax,
        baseline: base.depthMax,
        note: `per-second samples: ${series.length > 120 ? `${series.slice(0, 120)}…` : series}`,
      },
    ];
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
