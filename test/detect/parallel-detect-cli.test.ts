/**
 * `kv-warden detect` over inputs large enough for the detection thread and its parse workers
 * (KV_WARDEN_DETECT_THREADS > 0, a file of PARALLEL_MIN_BYTES or more): the same alerts, byte for byte,
 * the same malformed reports and the same exit code as detection on the calling thread.
 */
import { mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PARALLEL_MIN_BYTES } from '../../src/detect/parallel/read-events.js';
import { buildRecord, CALLERS, type PresetName, type RawRecord } from '../fixtures/records.js';
import { type DetectRun, runDetect } from './helpers.js';

const T0 = Date.parse('2025-06-02T09:00:00Z');
const S = 1000;
const M = 60_000;

/** An attack on `vault` starting at `t`: firewall opened, IP rule, policy granted then revoked, bursts, purges. */
function attack(vault: string, t: number): RawRecord[] {
  const recs = [
    buildRecord({ preset: 'vaultPatchAllow', at: t, vault }),
    buildRecord({ preset: 'ipRuleAdded', at: t + M, vault }),
    buildRecord({ preset: 'accessPolicyAdded', at: t + 2 * M, vault }),
    buildRecord({ preset: 'accessPolicyChangedNotification', at: t + 2 * M + 2 * S, vault }),
    buildRecord({ preset: 'accessPolicyRemoved', at: t + 7 * M, vault }),
    buildRecord({ preset: 'secretPurge', at: t + 10 * M, vault }),
    buildRecord({ preset: 'secretPurge', at: t + 11 * M, vault, secret: 'other-secret' }),
    buildRecord({ preset: 'keyBackup', at: t + 12 * M, vault, caller: { oid: CALLERS.bob.oid } }),
  ];
  for (let i = 0; i < 11; i++)
    recs.push(buildRecord({ preset: 'secretPurge403', at: t + 3 * M + i * 5 * S, vault }));
  for (let i = 0; i < 20; i++) recs.push(buildRecord({ preset: 'auth401', at: t + 4 * M + i * S, vault }));
  for (let i = 0; i < 20; i++)
    recs.push(buildRecord({ preset: 'throttled429', at: t + 5 * M + i * S, vault }));
  return recs;
}

const BENIGN: PresetName[] = [
  'secretGet',
  'secretGet',
  'secretGet',
  'secretList',
  'vaultGetDeny',
  'keyBackup',
];
const BAD_LINES = [
  'this is not json',
  JSON.stringify(buildRecord({ time: undefined })),
  '\u00ff\u00fe',
  '"a string"',
];

/**
 * Two hours of traffic on `vaults` as JSON Lines (records ~1.2 KB, slightly out of order, an attack per
 * vault), with a malformed line every `badEvery` lines; returns the text and the bad lines' numbers.
 */
function traffic(vaults: string[], count: number, badEvery: number): { text: Buffer; bad: number[] } {
  const recs: RawRecord[] = [];
  for (let i = 0; i < count; i++) {
    const vault = vaults[i % vaults.length]!;
    const preset = BENIGN[i % BENIGN.length]!;
    const at = T0 + Math.floor((i * 2 * 3_600_000) / count);
    recs.push(
      preset === 'secretGet'
        ? buildRecord({
            preset,
            at,
            vault,
            secret: `app-secret-${i % 23}`,
            correlationId: `corr-${vault}-${i}`,
          })
        : buildRecord({ preset, at, vault, correlationId: `corr-${vault}-${i}` }),
    );
  }
  for (const [k, v] of vaults.entries()) recs.push(...attack(v, T0 + 20 * M + k * 25 * M));
  recs.sort((a, b) => String(a.time).localeCompare(String(b.time)));
  // A little disorder, well inside the lateness window: swap every fifth pair.
  for (let i = 0; i + 1 < recs.length; i += 10) [recs[i], recs[i + 1]] = [recs[i + 1]!, recs[i]!];
  const parts: Buffer[] = [];
  const bad: number[] = [];
  for (const [i, r] of recs.entries()) {
    if (i % badEvery === badEvery - 1) {
      const text = BAD_LINES[bad.length % BAD_LINES.length]!;
      parts.push(Buffer.from(`${text}\n`, text.startsWith('\u00ff') ? 'latin1' : 'utf8'));
      bad.push(parts.length);
    }
    parts.push(Buffer.from(`${JSON.stringify(r)}\n`));
  }
  return { text: Buffer.concat(parts), bad };
}

const CONFIG = `detection:\n  backupPrincipals: ["${CALLERS.backupJob.oid}"]\nvaults:\n  kv-prod-payments:\n    expectedApps: ["${CALLERS.paymentsApi.appid}"]\n`;

const detect = (args: string[], threads: string) =>
  runDetect(args, dir, { KV_WARDEN_DETECT_THREADS: threads });

const lines = (s: string) => s.split('\n').filter(Boolean);

let dir: string;
const bad: Record<string, number[]> = {};
beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'kvw-parallel-cli-'));
  writeFileSync(path.join(dir, 'kv-warden.yaml'), CONFIG);
  mkdirSync(path.join(dir, 'logs'));
  const files = {
    'a.jsonl': traffic(['kv-prod-payments', 'kv-prod-orders', 'kv-dev-sandbox'], 7200, 1700),
    'b.jsonl': traffic(['kv-prod-billing', 'kv-prod-payments'], 7200, 2300),
    'small.jsonl': traffic(['kv-prod-orders'], 50, 40),
  };
  for (const [name, { text, bad: lines }] of Object.entries(files)) {
    writeFileSync(path.join(dir, 'logs', name), text);
    bad[name] = lines;
  }
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('kv-warden detect on large JSON Lines inputs', () => {
  it('a file over the threshold: the same output and exit code with and without parse threads', async () => {
    expect(statSync(path.join(dir, 'logs/a.jsonl')).size).toBeGreaterThan(PARALLEL_MIN_BYTES);
    const reference = await detect(['logs/a.jsonl'], '0');
    expect(reference.code).toBe(3);
    expect(lines(reference.stderr).map((l) => l.split(':').slice(0, 2).join(':'))).toEqual(
      bad['a.jsonl']!.map((n) => `logs/a.jsonl:${n}`),
    );
    const alerts = lines(reference.stdout).map((l) => JSON.parse(l) as { rule: string; vault: string });
    expect(new Set(alerts.map((a) => a.vault))).toEqual(
      new Set(['kv-prod-payments', 'kv-prod-orders', 'kv-dev-sandbox']),
    );
    expect(new Set(alerts.map((a) => a.rule)).size).toBeGreaterThanOrEqual(5);
    for (const threads of ['1', '2']) {
      const r = await detect(['logs/a.jsonl'], threads);
      expect(r.code, `${threads} thread(s)`).toBe(3);
      expect(lines(r.stderr), `${threads} thread(s)`).toEqual(lines(reference.stderr));
      expect(r.stdout === reference.stdout, `${threads} thread(s): stdout differs`).toBe(true);
    }
  });

  it('several large files overlapping in time and a small one: the same alerts and reports', async () => {
    expect(statSync(path.join(dir, 'logs/b.jsonl')).size).toBeGreaterThan(PARALLEL_MIN_BYTES);
    const reference = await detect(['logs'], '0');
    expect(reference.code).toBe(3);
    expect(lines(reference.stderr)).toHaveLength(Object.values(bad).flat().length);
    const r = await detect(['logs'], '1');
    expect(r.code).toBe(3);
    // Each file's reports in line order; how the files' reports interleave is not specified.
    const ofFile = (run: DetectRun, f: string) => lines(run.stderr).filter((l) => l.startsWith(`logs/${f}:`));
    for (const f of ['a.jsonl', 'b.jsonl', 'small.jsonl'])
      expect(ofFile(r, f), f).toEqual(ofFile(reference, f));
    expect(lines(r.stdout).length).toBe(lines(reference.stdout).length);
    expect(r.stdout === reference.stdout, 'stdout differs').toBe(true);
  });

  it.each(['x', '-1', '1.5', '65'])(
    'KV_WARDEN_DETECT_THREADS=%s exits 2 naming the variable',
    async (threads) => {
      const r = await detect(['logs/small.jsonl'], threads);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(/KV_WARDEN_DETECT_THREADS/);
      expect(r.stdout).toBe('');
    },
  );
});
