import { describe, expect, test } from 'vitest';
import { InvalidParameterError } from '../../src/errors.js';
import { type QueryRequest, QueryService } from '../../src/queries/query-service.js';
import { QUERY_NAMES, type TablesMode } from '../../src/queries/query-spec.js';
import { FakeClock } from '../../src/util/clock.js';
import { stringLiterals, tokenKinds } from './support/kusto.js';

/** Hostile values: every one must be refused, or end up as one inert literal / bound parameter. */
const BATTERY: readonly string[] = [
  "kv'; drop",
  'kv"x',
  "kv' | take 1 //",
  'a|b',
  'kv\nprod',
  'kv\r\nx',
  'kv\u2028x',
  'kv//comment',
  'kv--x',
  'kv/*x*/',
  'kv;x',
  '1; DELETE FROM kvw_events',
  "' or ''='",
  'kv prod',
  'kv\tx',
  'kv\u00a0x',
  'ｋｖ－ｐｒｏｄ',
  'kv-prоd',
  'kv\u200bprod',
  '\u202ekv-prod',
  'kv\u0000x',
  'bob@contoso.com\u0000',
  "bob@contoso.com' or 1==1",
  'bob@contoso.com" | take 1',
  'bob@contoso.com\n| take 1',
  'bοb@contoso.com',
  "e5555555-5555-4555-8555-555555555555'",
  'e5555555-5555-4555-8555-55555555555５',
  "h'x'",
  "@'x'",
  '\\',
  "kv\\'x",
  '$' + '{x}',
  '$vault',
  '?',
  '*',
  'kv%27',
  '🔑',
  '203.0.113.66 | union x',
  '203.0.113.66/32',
  'today;',
  '24h\n',
  "1d'",
  '0d',
  '91d',
  '-1d',
  '1e3',
  '0x10',
  'x'.repeat(10_000),
  `${'a'.repeat(64)}@${'b'.repeat(70)}.com`,
  '',
  // Unusual but legitimate: accepted, and must still render as a single literal / bound value.
  'KV-PROD-PAYMENTS',
  'live.com#bob@outlook.com',
  'bob+ops@contoso.com',
  '2001:db8::1',
  '7d',
  'TODAY',
  '1000',
];

const PARAMS = ['vault', 'since', 'caller', 'ip', 'limit'] as const;
const BASE: Record<(typeof PARAMS)[number], string> = {
  vault: 'kv-prod-payments',
  since: '24h',
  caller: 'bob@contoso.com',
  ip: '203.0.113.66',
  limit: '20',
};
const MODES: TablesMode[] = ['AzureDiagnostics', 'AZKVAuditLogs', 'both'];

function service(tables: TablesMode): QueryService {
  const history = { all: async () => [] };
  return new QueryService({
    engine: { kind: 'embedded', history },
    clock: new FakeClock(Date.parse('2025-06-02T12:00:00Z')),
    tables,
    maxRows: 50,
    timeoutMs: 1000,
  });
}

function requestFor(name: string, param: (typeof PARAMS)[number], value: string): QueryRequest {
  const req: Record<string, string> = {
    name,
    vault: BASE.vault,
    since: BASE.since,
    ip: BASE.ip,
    limit: BASE.limit,
  };
  if (name === 'caller') req.caller = BASE.caller;
  req[param] = value;
  return req as unknown as QueryRequest;
}

describe('every parameter of every query refuses injection or keeps it an inert literal', () => {
  for (const name of QUERY_NAMES) {
    for (const param of PARAMS) {
      if (param === 'caller' && name !== 'caller') continue;
      test(`${name} --${param}`, () => {
        for (const mode of MODES) {
          const svc = service(mode);
          const baseline = svc.prepare(requestFor(name, param, BASE[param]));
          const baselineKinds = tokenKinds(svc.kqlFor(baseline));
          for (const value of BATTERY) {
            let prepared: ReturnType<QueryService['prepare']>;
            try {
              prepared = svc.prepare(requestFor(name, param, value));
            } catch (err) {
              expect(err, `${param}=${JSON.stringify(value.slice(0, 40))}`).toBeInstanceOf(
                InvalidParameterError,
              );
              expect((err as InvalidParameterError).parameter).toBe(param);
              // A refusal never echoes the whole hostile value.
              expect((err as Error).message.length).toBeLessThan(300);
              expect((err as Error).message).not.toMatch(/[\n\r\u0000]/);
              continue;
            }
            // Accepted: the KQL has the same token structure as with a benign value,
            // and the value appears only as a string literal.
            const kql = svc.kqlFor(prepared);
            expect(tokenKinds(kql), `${param}=${JSON.stringify(value)}`).toEqual(baselineKinds);
            if (param === 'vault' || param === 'caller' || param === 'ip')
              expect(stringLiterals(kql)).toContain(value.toLowerCase());
            const sql = svc.sqlFor(prepared);
            if (param !== 'limit' && param !== 'since') {
              expect(sql.sql).not.toContain(value);
              expect(Object.values(sql.params)).toContain(value.toLowerCase());
            }
          }
        }
      });
    }
  }
});

describe('accepted values', () => {
  const svc = service('both');
  test.each([
    ['vault', 'KV-Prod-Payments', 'kv-prod-payments'],
    ['vault', 'abc', 'abc'],
    ['caller', 'E5555555-5555-4555-8555-555555555555', 'e5555555-5555-4555-8555-555555555555'],
    ['caller', 'Bob.Smith+ops@Contoso.co.uk', 'bob.smith+ops@contoso.co.uk'],
    ['caller', 'live.com#bob@outlook.com', 'live.com#bob@outlook.com'],
    ['ip', '2001:db8::1', '2001:db8::1'],
  ] as const)('%s %s becomes %s', (param, raw, expected) => {
    const req = requestFor(param === 'caller' ? 'caller' : 'who', param, raw);
    const p = svc.prepare(req).params as unknown as Record<string, unknown>;
    expect(p[param]).toBe(expected);
  });

  test('today starts at UTC midnight and 90d is the longest period', () => {
    const today = svc.prepare({ name: 'who', since: 'today' }).params.range;
    expect(new Date(today.startMs).toISOString()).toBe('2025-06-02T00:00:00.000Z');
    expect(new Date(today.endMs).toISOString()).toBe('2025-06-02T12:00:00.000Z');
    const longest = svc.prepare({ name: 'who', since: '90d' }).params.range;
    expect(longest.endMs - longest.startMs).toBe(90 * 86_400_000);
    expect(() => svc.prepare({ name: 'who', since: '13w' })).toThrow(InvalidParameterError);
  });

  test('the caller query requires a caller and the others refuse one', () => {
    expect(() => svc.prepare({ name: 'caller' })).toThrow(/caller/);
    expect(() => svc.prepare({ name: 'who', caller: 'bob@contoso.com' })).toThrow(/caller/);
  });

  test('an unknown query name is a usage error, including prototype keys', () => {
    expect(() => svc.prepare({ name: 'drop' })).toThrow(/unknown query/);
    expect(() => svc.prepare({ name: 'constructor' })).toThrow(/unknown query/);
    expect(() => svc.prepare({ name: '__proto__' })).toThrow(/unknown query/);
  });
});
