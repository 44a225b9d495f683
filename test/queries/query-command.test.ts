import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { CommandIo } from '../../src/cli.js';
import { run } from '../../src/commands/query.js';
import { openDuckDb } from '../../src/store/duckdb/open-duckdb.js';
import { EventHistory } from '../../src/store/history/event-history.js';
import { systemClock } from '../../src/util/clock.js';
import { auditEvent, BOB, PAYMENTS_API } from '../fixtures/events.js';

let dir: string;

function io(): CommandIo & { out(): string; err(): string } {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (c) => (out += c));
  stderr.on('data', (c) => (err += c));
  return {
    stdout,
    stderr,
    env: {},
    cwd: dir,
    stopSignal: new Promise(() => {}),
    out: () => out,
    err: () => err,
  };
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'kvw-query-cli-'));
  writeFileSync(
    join(dir, 'kv-warden.yaml'),
    'store: { duckdb: history.duckdb }\nqueries: { tables: AZKVAuditLogs }\n',
  );
  writeFileSync(
    join(dir, 'union.yaml'),
    'queries: { tables: both, maxRows: 1 }\nstore: { duckdb: history.duckdb }\n',
  );
  const db = await openDuckDb(join(dir, 'history.duckdb'));
  const history = await EventHistory.open(db, { retentionMs: 90 * 86_400_000, clock: systemClock });
  // Events an hour or two before the command runs, so `--since 1d` covers them whatever the date.
  const base = systemClock.now() - 2 * 3_600_000;
  await history.append([
    auditEvent({ at: base }),
    auditEvent({ at: base + 60_000, status: 403 }),
    auditEvent({ at: base + 120_000, as: PAYMENTS_API }),
    auditEvent({ at: base + 180_000, as: PAYMENTS_API }),
    auditEvent({ at: base + 240_000, as: PAYMENTS_API, status: 404, requestUri: '=cmd|calc' }),
  ]);
  await db.close();
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('kv-warden query', () => {
  test('--print kql prints the exact KQL for the configured tables, without running anything', async () => {
    const o = io();
    expect(await run(['who', '--vault', 'KV-Prod-Payments', '--since', '7d', '--print', 'kql'], o)).toBe(0);
    expect(o.out()).toMatch(/^\/\/ kv-warden who/);
    expect(o.out()).toContain('let kvAudit = AZKVAuditLogs');
    expect(o.out()).not.toContain('AzureDiagnostics');
    expect(o.out()).toContain("| where Vault == h'kv-prod-payments'");
  });

  test('--print sql lists the bound parameters apart from the text', async () => {
    const o = io();
    expect(await run(['caller', BOB.upn, '--print', 'sql'], o)).toBe(0);
    expect(o.out()).toContain('$caller');
    expect(o.out()).toContain(`--   $caller = "${BOB.upn}"`);
  });

  test('runs on the embedded history and prints JSON', async () => {
    const o = io();
    expect(await run(['who', '--vault', 'kv-prod-payments', '--since', '1d', '--format', 'json'], o)).toBe(0);
    const out = JSON.parse(o.out());
    expect(out.engine).toBe('embedded');
    expect(
      out.rows.map((r: { Principal: string; Operations: number; Failed: number }) => [
        r.Principal,
        r.Operations,
        r.Failed,
      ]),
    ).toEqual([
      [PAYMENTS_API.oid, 3, 1],
      [BOB.oid, 2, 1],
    ]);
  });

  test('a table caps rows at queries.maxRows and warns on stderr', async () => {
    const o = io();
    expect(await run(['ops', '--config', 'union.yaml'], o)).toBe(0);
    expect(o.out().split('\n')[0]).toMatch(/^OperationName\s+Status\s+Outcome\s+Count$/);
    expect(o.out().trim().split('\n')).toHaveLength(3);
    expect(o.err()).toMatch(/first 1 rows/);
  });

  test('CSV quotes cells and defuses spreadsheet formulas', async () => {
    const o = io();
    expect(await run(['failures', '--since', '1d', '--format', 'csv'], o)).toBe(0);
    expect(o.out().split('\r\n')[0]).toBe('OperationName,Status,RequestUri,Count,Principals,LastSeen');
    expect(o.out()).toContain(`SecretGet,404,'=cmd|calc,1,${PAYMENTS_API.oid},`);
    const o2 = io();
    expect(await run(['caller', PAYMENTS_API.oid, '--format', 'csv'], o2)).toBe(0);
    expect(o2.out()).toContain('kv-prod-payments,SecretGet,200,2,10.20.1.15,');
  });

  test('--help prints the usage and exits 0', async () => {
    const o = io();
    expect(await run(['--help'], o)).toBe(0);
    expect(o.out()).toMatch(/usage: kv-warden query NAME/);
  });

  test.each([
    [['who', '--vault', "kv'; drop"], /invalid vault/],
    [['who', '--since', '91d'], /invalid since/],
    [['caller'], /invalid caller/],
    [['who', '--bogus'], /Unknown option/],
    [['nope'], /unknown query/],
    [['who', '--format', 'xml'], /--format/],
    [[], /NAME is required/],
  ])('%j exits 2 with a message', async (args, message) => {
    const o = io();
    expect(await run(args as string[], o)).toBe(2);
    expect(o.err()).toMatch(message);
  });
});
