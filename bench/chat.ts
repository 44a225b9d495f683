/**
 * Slack slash-command ack latency: N concurrent, correctly signed `/kv` commands whose work takes
 * 5 s each, against the real `POST /slack/events` route (signature check, replay cache, Bolt).
 * The ack must come back long before the work ends (Slack allows 3 s; target p99 < 300 ms).
 * Baseline: a bare fastify route on the same server, hit with the same concurrency in the same run.
 */
import { Worker } from 'node:worker_threads';
import Fastify from 'fastify';
import type { ChatHandler } from '../src/chat/chat-surface.js';
import { registerSlackRoutes } from '../src/chat/slack/slack-routes.js';
import { signSlackRequest } from '../src/chat/slack/verify-slack-request.js';
import { silentLogger } from '../src/util/logger.js';
import { startFakeSlackApi } from '../test/fakes/slack-api.js';
import type { BenchResult } from './types.js';

const SECRET = 'bench-signing-secret';
const TOKEN = 'xoxb-bench';

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i] ?? Number.NaN;
}

/**
 * The load generator runs in a worker thread with its own event loop, so the server's loop is
 * what gets measured; keep-alive sockets (one per concurrent request) are opened before timing.
 */
const LOAD_WORKER = `
const { parentPort, workerData } = require('node:worker_threads');
const http = require('node:http');
const agent = new http.Agent({ keepAlive: true, maxSockets: workerData.concurrency });
function send(req) {
  return new Promise((resolve, reject) => {
    const start = performance.now();
    const r = http.request(workerData.base + req.path, { method: 'POST', agent, headers: { ...req.headers, 'content-length': Buffer.byteLength(req.body) } }, (res) => {
      const elapsed = performance.now() - start;
      res.resume();
      res.on('end', () => resolve({ ms: elapsed, status: res.statusCode }));
    });
    r.on('error', reject);
    r.end(req.body);
  });
}
parentPort.on('message', async (batch) => {
  const results = await Promise.all(batch.map(send));
  parentPort.postMessage(results);
});
`;

interface WireRequest {
  path: string;
  headers: Record<string, string>;
  body: string;
}

class LoadGenerator {
  private readonly worker: Worker;
  constructor(base: string, concurrency: number) {
    this.worker = new Worker(LOAD_WORKER, { eval: true, workerData: { base, concurrency } });
  }
  async fire(batch: WireRequest[]): Promise<{ ms: number[]; failed: number }> {
    const results = await new Promise<Array<{ ms: number; status: number }>>((resolve, reject) => {
      this.worker.once('message', resolve);
      this.worker.once('error', reject);
      this.worker.postMessage(batch);
    });
    return {
      ms: results.map((r) => r.ms).sort((a, b) => a - b),
      failed: results.filter((r) => r.status !== 200).length,
    };
  }
  close(): Promise<number> {
    return this.worker.terminate();
  }
}

export async function run(): Promise<BenchResult[]> {
  const scale = Number(process.env.BENCH_SCALE ?? 1);
  const n = Math.max(10, Math.round(200 * scale));
  const workMs = scale >= 1 ? 5_000 : Math.max(250, Math.round(5_000 * scale));
  const fake = await startFakeSlackApi({ token: TOKEN });
  const handler: ChatHandler = {
    handleAction: async () => ({}),
    handleCommand: async () => {
      await new Promise((r) => setTimeout(r, workMs));
      return { text: 'done', ephemeral: true };
    },
  };
  const server = Fastify({ logger: false });
  server.post('/baseline', async () => '');
  registerSlackRoutes(server, {
    env: { botToken: TOKEN, signingSecret: SECRET, apiUrl: fake.apiUrl },
    handler,
    logger: silentLogger,
  });
  const base = await server.listen({ host: '127.0.0.1', port: 0 });
  let seq = 0;
  const command = (): WireRequest => {
    const body = new URLSearchParams({
      team_id: 'T1',
      channel_id: 'C1',
      user_id: 'U01ALICE',
      user_name: 'alice',
      command: '/kv',
      text: `who kv-prod-payments 1h #${++seq}`,
      response_url: fake.responseUrl(`bench-${seq}`),
      trigger_id: String(seq),
    }).toString();
    const ts = Math.floor(Date.now() / 1000);
    const headers = {
      'content-type': 'application/x-www-form-urlencoded',
      'x-slack-request-timestamp': String(ts),
      'x-slack-signature': signSlackRequest(SECRET, ts, body),
    };
    return { path: '/slack/events', headers, body };
  };
  const bare = (): WireRequest => ({
    path: '/baseline',
    headers: { 'content-type': 'text/plain' },
    body: 'x',
  });
  const load = new LoadGenerator(base, n);

  try {
    // Open n keep-alive sockets and warm both paths (JIT) before measuring.
    await load.fire(Array.from({ length: n }, bare));
    await load.fire(Array.from({ length: 10 }, command));
    const baselineA = await load.fire(Array.from({ length: n }, bare));
    const acks = await load.fire(Array.from({ length: n }, command));
    const baselineB = await load.fire(Array.from({ length: n }, bare));
    const baseline = [...baselineA.ms, ...baselineB.ms].sort((a, b) => a - b);
    const deadline = performance.now() + workMs + 30_000;
    while (fake.responses.length < 10 + n && performance.now() < deadline) {
      await new Promise((r) => setTimeout(r, 50));
    }
    const p50 = percentile(acks.ms, 50);
    const p99 = percentile(acks.ms, 99);
    const b50 = percentile(baseline, 50);
    const b99 = percentile(baseline, 99);
    const note = `${n} concurrent signed /kv commands, work ${workMs} ms each; ${acks.failed} non-200 acks; ${fake.responses.length - 10}/${n} respond() answers delivered after the work; baseline = bare fastify route, same server, same concurrency`;
    return [
      { name: 'slack /kv ack latency p50', metric: 'ms', value: p50, baseline: b50, ratio: p50 / b50, note },
      {
        name: 'slack /kv ack latency p99',
        metric: 'ms',
        value: p99,
        baseline: b99,
        ratio: p99 / b99,
        target: '< 300 ms',
        pass: p99 < 300 && acks.failed === 0,
      },
    ];
  } finally {
    await load.close();
    await server.close();
    await fake.close();
  }
}
