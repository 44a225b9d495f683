import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { AuditEvent } from '../../src/audit/audit-event.js';
import { type QueryRequest, QueryService } from '../../src/queries/query-service.js';
import { QUERY_NAMES, type QueryName } from '../../src/queries/query-spec.js';
import { type DuckDbHandle, openDuckDb } from '../../src/store/duckdb/open-duckdb.js';
import { EventHistory } from '../../src/store/history/event-history.js';
import { FakeClock } from '../../src/util/clock.js';
import { auditEvent, DAY } from '../fixtures/events.js';
import { evaluate } from './support/reference.js';

/** Deterministic PRNG (mulberry32) so a failure reproduces. */
function prng(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const NOW = Date.parse('2025-06-02T14:37:12.345Z');
const VAULTS = ['kv-prod-payments', 'kv-dev', 'kv-shared-01'];
const OPS = [
  'SecretGet',
  'SecretList',
  'KeySign',
  'SecretSet',
  'SecretPurge',
  'VaultGet',
  'VaultPatch',
  'VaultPut',
  'Authentication',
];
const STATUSES = [200, 200, 200, 200, 204, 401, 403, 404, 409, 429, 500, 302];

function callers() {
  const list: { oid?: string; upn?: string; appId?: string; ip?: string }[] = [];
  for (let i = 0; i < 40; i++) {
    const hex = i.toString(16).padStart(2, '0');
    const kind = i % 4;
    if (kind === 0)
      list.push({
        oid: `aaaaaa${hex}-0000-4000-8000-0000000000${hex}`,
        upn: `user${i}@contoso.com`,
        appId: '04b07795-8ddb-461a-bbee-02f9e1bf7b46',
      });
    else if (kind === 1)
      list.push({
        oid: `bbbbbb${hex}-0000-4000-8000-0000000000${hex}`,
        appId: `cccccc${hex}-0000-4000-8000-0000000000${hex}`,
      });
    else if (kind === 2) list.push({ appId: `dddddd${hex}-0000-4000-8000-0000000000${hex}` });
    else list.push({ upn: `Guest${i}@Fabrikam.com` });
  }
  return list;
}

function generate(count: number, seed: number): AuditEvent[] {
  const rand = prng(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;
  const people = callers();
  const events: AuditEvent[] = [];
  const span = 45 * DAY;
  const times = new Set<number>();
  for (let i = 0; i < count; i++) {
    // The last 5% of events come from four principals seen only in the last two days: new callers.
    const late = i >= count * 0.95;
    let at = late
      ? NOW - Math.floor(rand() * 2 * DAY)
      : NOW - Math.floor(rand() * span) + Math.floor(rand() * 3_600_000);
    while (times.has(at)) at += 1;
    times.add(at);
    const who = late ? people[36 + Math.floor(rand() * 4)]! : people[Math.floor(rand() * rand() * 36)]!;
    const ip = `10.${Math.floor(rand() * 3)}.0.${Math.floor(rand() * 30)}`;
    const op = pick(OPS);
    const status = op === 'Authentication' ? 401 : pick(STATUSES);
    const unauthenticated = status === 401;
    const vault = pick(VAULTS);
    const change = op === 'VaultPatch' || op === 'VaultPut';
    events.push(
      auditEvent({
        at,
        vault,
        operation: op,
        status,
        ...(unauthenticated ? { identity: {}, principal: ip, ip } : { as: { ...who, ip } }),
        requestUri: `https://${vault}.vault.azure.net/secrets/s${Math.floor(rand() * 5)}?api-version=7.${Math.floor(rand() * 5)}`,
        ...(change
          ? {
              networkAcls: rand() < 0.3 ? null : { defaultAction: rand() < 0.5 ? 'Allow' : 'Deny' },
              ...(rand() < 0.5 ? { addedIpRule: `203.0.113.${Math.floor(rand() * 255)}/32` } : {}),
              ...(rand() < 0.3
                ? {
                    addedAccessPolicy: {
                      objectId: 'E5555555-5555-4555-8555-555555555555',
                      permissions: { keys: [], secrets: ['get'], certificates: [] },
                    },
                  }
                : {}),
            }
          : {}),
      }),
    );
  }
  return events;
}

let db: DuckDbHandle;
let service: QueryService;
const events = generate(6000, 42);

beforeAll(async () => {
  db = await openDuckDb(':memory:');
  const clock = new FakeClock(NOW);
  const history = await EventHistory.open(db, { retentionMs: 400 * DAY, clock });
  // Several batches, out of order, so the rollup merges counts into existing hours.
  const shuffled = [...events].sort((a, b) => (a.key < b.key ? -1 : 1));
  for (let i = 0; i < shuffled.length; i += 700) await history.append(shuffled.slice(i, i + 700));
  service = new QueryService({
    engine: { kind: 'embedded', history },
    clock,
    tables: 'both',
    maxRows: 500,
    timeoutMs: 1000,
  });
});
afterAll(async () => {
  await db.close();
});

const PERIODS = ['today', '3h', '1d', '7d', '30d', '90d', '45m'];

function cases(name: QueryName): QueryRequest[] {
  const out: QueryRequest[] = [];
  for (const since of PERIODS) {
    if (name === 'caller') {
      out.push({ name, since, caller: 'aaaaaa00-0000-4000-8000-000000000000' });
      out.push({ name, since, caller: 'user4@contoso.com', vault: 'kv-dev' });
      out.push({ name, since, caller: 'guest3@fabrikam.com', limit: 3 });
      out.push({ name, since, caller: 'cccccc01-0000-4000-8000-000000000001' });
    } else {
      out.push({ name, since });
      out.push({ name, since, vault: 'kv-prod-payments' });
      out.push({ name, since, vault: 'kv-dev', limit: 4 });
      out.push({ name, since, ip: '10.1.0.7' });
    }
  }
  return out;
}

describe('SQL on DuckDB answers exactly as the in-memory reference', () => {
  for (const name of QUERY_NAMES) {
    test(name, async () => {
      let nonEmpty = 0;
      for (const req of cases(name)) {
        const result = await service.run(req);
        const p = service.prepare(req).params;
        const expected = evaluate(name, events, { ...p, ...p.range, limit: p.limit + 1 });
        expect(result.rows, JSON.stringify(req)).toEqual(expected.slice(0, p.limit));
        expect(result.truncated, JSON.stringify(req)).toBe(expected.length > p.limit);
        if (result.rows.length > 0) nonEmpty++;
      }
      // The cases must actually exercise data, not compare empty answers.
      expect(nonEmpty).toBeGreaterThanOrEqual(cases(name).length / 2);
    });
  }

  test('pruning keeps answers within retention exact', async () => {
    const db2 = await openDuckDb(':memory:');
    const clock = new FakeClock(NOW);
    const history = await EventHistory.open(db2, { retentionMs: 10 * DAY, clock });
    await history.append(events);
    const removed = await history.prune();
    const cutoff = Math.floor((NOW - 10 * DAY) / 3_600_000) * 3_600_000;
    expect(removed).toBe(events.filter((e) => e.timeMs < cutoff).length);
    const svc = new QueryService({
      engine: { kind: 'embedded', history },
      clock,
      tables: 'both',
      maxRows: 500,
      timeoutMs: 1000,
    });
    const req = { name: 'who', since: '7d' };
    const p = svc.prepare(req).params;
    expect((await svc.run(req)).rows).toEqual(evaluate('who', events, { ...p.range, limit: 500 }));
    await db2.close();
  });
});
