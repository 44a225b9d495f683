import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  buildRecord,
  CALLERS,
  type RawRecord,
  toArray,
  toAzkvAuditLogsRow,
  toAzureDiagnosticsRow,
  toJsonLines,
  toRecordsBlob,
} from '../fixtures/records.js';
import { runDetect } from './helpers.js';

const T = Date.parse('2025-06-02T11:00:00Z');
const S = 1000;
const M = 60_000;

/** An attack story on kv-prod-payments among benign traffic, as raw records in time order. */
function story(): RawRecord[] {
  const recs: RawRecord[] = [];
  for (let i = 0; i < 20; i++) recs.push(buildRecord({ preset: 'secretGet', at: T + i * M }));
  recs.push(buildRecord({ preset: 'vaultGetDeny', at: T + 10 * S }));
  recs.push(buildRecord({ preset: 'vaultPatchAllow', at: T + 2 * M }));
  recs.push(buildRecord({ preset: 'ipRuleAdded', at: T + 3 * M }));
  recs.push(buildRecord({ preset: 'accessPolicyAdded', at: T + 4 * M }));
  recs.push(buildRecord({ preset: 'accessPolicyChangedNotification', at: T + 4 * M + 2 * S }));
  recs.push(buildRecord({ preset: 'accessPolicyRemoved', at: T + 9 * M }));
  for (let i = 0; i < 11; i++)
    recs.push(buildRecord({ preset: 'secretPurge403', at: T + 5 * M + i * 5 * S }));
  for (let i = 0; i < 20; i++) recs.push(buildRecord({ preset: 'auth401', at: T + 6 * M + i * S }));
  for (let i = 0; i < 20; i++) recs.push(buildRecord({ preset: 'throttled429', at: T + 7 * M + i * S }));
  recs.push(buildRecord({ preset: 'secretPurge', at: T + 12 * M }));
  recs.push(buildRecord({ preset: 'secretPurge', at: T + 13 * M, secret: 'other-secret' }));
  recs.push(
    buildRecord({
      preset: 'keyBackup',
      at: T + 14 * M,
      caller: { oid: CALLERS.backupJob.oid, appid: CALLERS.backupJob.appid },
    }),
  );
  return recs.sort((a, b) => String(a.time).localeCompare(String(b.time)));
}

const CONFIG = `detection:\n  backupPrincipals: ["${CALLERS.backupJob.oid}"]\nvaults:\n  kv-prod-payments:\n    expectedApps: ["${CALLERS.paymentsApi.appid}"]\n`;

const cli = runDetect;

const lines = (s: string) => s.split('\n').filter(Boolean);

let dir: string;
let recs: RawRecord[];
beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'kvw-detect-cli-'));
  recs = story();
  writeFileSync(path.join(dir, 'kv-warden.yaml'), CONFIG);
  // Blob layout: two hourly folders, the records split between them and shuffled within each file.
  const first = recs.slice(0, 30);
  const second = recs.slice(30);
  const shuffle = (xs: RawRecord[]) => [...xs.filter((_, i) => i % 2), ...xs.filter((_, i) => !(i % 2))];
  mkdirSync(path.join(dir, 'logs/h=11/m=00'), { recursive: true });
  mkdirSync(path.join(dir, 'logs/h=12/m=00'), { recursive: true });
  writeFileSync(path.join(dir, 'logs/h=11/m=00/PT1H.json'), toJsonLines(shuffle(first)));
  writeFileSync(path.join(dir, 'logs/h=12/m=00/PT1H.json'), toJsonLines(shuffle(second)));
  // Every shape of the same records.
  mkdirSync(path.join(dir, 'shapes'));
  writeFileSync(path.join(dir, 'shapes/records.json'), toRecordsBlob(recs, { pretty: true }));
  writeFileSync(path.join(dir, 'shapes/array.json'), toArray(recs));
  writeFileSync(path.join(dir, 'shapes/lines.ndjson'), toJsonLines(recs, { crlf: true }));
  writeFileSync(
    path.join(dir, 'shapes/azure-diagnostics.json'),
    toArray(recs.map((r) => toAzureDiagnosticsRow(r))),
  );
  writeFileSync(
    path.join(dir, 'shapes/azkv-audit-logs.jsonl'),
    toJsonLines(recs.map((r) => toAzkvAuditLogsRow(r))),
  );
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('kv-warden detect', () => {
  it('prints one JSON object per alert with the DESIGN keys first', async () => {
    const r = await cli(['logs'], dir);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const alerts = lines(r.stdout).map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(alerts.map((a) => `${a.rule} x${a.count}`)).toEqual([
      'firewall-opened x1',
      'firewall-ip-added x1',
      'access-policy-added x1',
      'failed-request-burst x1',
      'access-granted-then-revoked x1',
      'destructive-operation x2',
    ]);
    for (const a of alerts)
      expect(Object.keys(a).slice(0, 9)).toEqual([
        'rule',
        'vault',
        'principal',
        'severity',
        'firstSeen',
        'lastSeen',
        'count',
        'summary',
        'events',
      ]);
    const purge = alerts.find((a) => a.rule === 'destructive-operation')!;
    expect(purge).toMatchObject({
      vault: 'kv-prod-payments',
      principal: CALLERS.bob.oid,
      severity: 'high',
      firstSeen: '2025-06-02T11:12:00.000Z',
      lastSeen: '2025-06-02T11:13:00.000Z',
      summary: 'bob@contoso.com purged secret stripe-api-key',
    });
    expect(purge.events).toHaveLength(2);
  });

  it('gives the same result whatever the order of the paths', async () => {
    const a = await cli(['logs/h=11', 'logs/h=12'], dir);
    const b = await cli(['logs/h=12', 'logs/h=11/m=00/PT1H.json'], dir);
    const c = await cli(['logs'], dir);
    expect(a.stdout).not.toBe('');
    expect(b.stdout).toBe(a.stdout);
    expect(c.stdout).toBe(a.stdout);
  });

  it('the same events in every shape give identical alerts, each exactly once', async () => {
    const reference = (await cli(['logs'], dir)).stdout;
    for (const f of [
      'records.json',
      'array.json',
      'lines.ndjson',
      'azure-diagnostics.json',
      'azkv-audit-logs.jsonl',
    ]) {
      const r = await cli([`shapes/${f}`], dir);
      expect(r.stderr, f).toBe('');
      expect(r.stdout, f).toBe(reference);
    }
    const all = await cli(['shapes', 'logs'], dir);
    expect(all.stdout).toBe(reference);
    const twice = await cli(['shapes/array.json', 'shapes/array.json', `${dir}/shapes/array.json`], dir);
    expect(twice.stdout).toBe(reference);
  });

  it('uses --config: expected apps and allowlisted backups, and without it alerts on them', async () => {
    writeFileSync(
      path.join(dir, 'other.yaml'),
      'detection:\n  rules: { destructive-operation: { enabled: false } }\n',
    );
    const r = await cli(['--config', 'other.yaml', 'logs'], dir);
    const rules = lines(r.stdout).map((l) => (JSON.parse(l) as { rule: string }).rule);
    expect(rules).not.toContain('destructive-operation');
    expect(r.code).toBe(0);
  });

  it('reports malformed records as file:line: reason, processes the rest, exits 3', async () => {
    const good = (at: number) => toJsonLines([buildRecord({ preset: 'secretPurge', at })]);
    writeFileSync(
      path.join(dir, 'bad.json'),
      `${good(T)}this is not json\n{"time":"2025-06-02T11:00:00Z"}\n${good(T + S)}`,
    );
    const r = await cli(['bad.json'], dir);
    expect(r.code).toBe(3);
    const errs = lines(r.stderr);
    expect(errs).toHaveLength(2);
    expect(errs[0]).toMatch(/^bad\.json:2: \S/);
    expect(errs[1]).toMatch(/^bad\.json:3: \S/);
    expect(lines(r.stdout).map((l) => (JSON.parse(l) as { count: number }).count)).toEqual([2]);
  });

  it.each([
    [['--frobnicate', 'logs'], /unknown option --frobnicate/],
    [[], /at least one PATH/],
    [['no-such-folder'], /no-such-folder/],
    [['--config'], /--config needs a FILE/],
  ])('exits 2 on usage errors %j', async (args, message) => {
    const r = await cli(args, dir);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(r.stdout).toBe('');
  });

  it('exits 2 naming the key of a bad configuration', async () => {
    writeFileSync(path.join(dir, 'broken.yaml'), 'detection:\n  failedBurst: { window: soon }\n');
    const r = await cli(['--config', 'broken.yaml', 'logs'], dir);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/detection\.failedBurst\.window/);
    const env = await cli(['logs'], dir, { KV_WARDEN_CONFIG: 'broken.yaml' });
    expect(env.code).toBe(2);
  });
});
