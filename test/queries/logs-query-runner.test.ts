import { afterAll, beforeAll, beforeEach, describe, expect, test } from 'vitest';
import { LogsQueryRunner } from '../../src/azure/log-analytics/logs-query-runner.js';
import { ErrorCode, type KvWardenError, QueryFailedError, UpstreamError } from '../../src/errors.js';
import { QueryService } from '../../src/queries/query-service.js';
import { FakeClock } from '../../src/util/clock.js';
import {
  type LogAnalyticsFake,
  startLogAnalyticsFake,
  staticCredential,
} from './support/log-analytics-fake.js';

const WS = '11111111-2222-4333-8444-555555555555';
let fake: LogAnalyticsFake;

beforeAll(async () => {
  fake = await startLogAnalyticsFake();
});
afterAll(async () => {
  await fake.close();
});
beforeEach(() => {
  fake.requests.length = 0;
});

function service(maxRetries = 0): QueryService {
  const runner = new LogsQueryRunner({
    workspaceId: WS,
    credential: staticCredential,
    endpoint: fake.endpoint,
    ca: fake.ca,
    maxRetries,
  });
  return new QueryService({
    engine: { kind: 'log-analytics', runner },
    clock: new FakeClock(Date.parse('2025-06-02T12:00:00.000Z')),
    tables: 'both',
    maxRows: 2,
    timeoutMs: 30_000,
  });
}

const WHO_COLUMNS = [
  { name: 'Principal', type: 'string' },
  { name: 'Upn', type: 'string' },
  { name: 'AppId', type: 'string' },
  { name: 'Operations', type: 'long' },
  { name: 'Succeeded', type: 'long' },
  { name: 'Failed', type: 'long' },
  { name: 'Ips', type: 'string' },
  { name: 'FirstSeen', type: 'datetime' },
  { name: 'LastSeen', type: 'datetime' },
];
const row = (p: string, n: number) => [
  p,
  '',
  '',
  n,
  n,
  0,
  '10.0.0.1',
  '2025-06-02T09:00:00Z',
  '2025-06-02T10:00:00.5Z',
];

describe('LogsQueryClient against the loopback Log Analytics fake', () => {
  test('posts the rendered KQL with the period as timespan, a server timeout and the workspace scope', async () => {
    fake.script({ kind: 'tables', columns: WHO_COLUMNS, rows: [row('a', 3)] });
    const svc = service();
    const result = await svc.run({ name: 'who', vault: 'kv-prod-payments', since: '24h' });
    expect(fake.requests).toHaveLength(1);
    const req = fake.requests[0]!;
    expect(req.workspaceId).toBe(WS);
    expect(req.body.query).toBe(result.kql);
    expect(req.body.query).toContain("h'kv-prod-payments'");
    expect(req.body.timespan).toBe('2025-06-01T12:00:00.000Z/2025-06-02T12:00:00.000Z');
    expect(req.prefer).toBe('wait=30');
    expect(staticCredential.scopes).toContain(`${new URL(fake.endpoint).origin}/.default`);
    expect(result.rows).toEqual([
      {
        Principal: 'a',
        Upn: '',
        AppId: '',
        Operations: 3,
        Succeeded: 3,
        Failed: 0,
        Ips: '10.0.0.1',
        FirstSeen: '2025-06-02T09:00:00.000Z',
        LastSeen: '2025-06-02T10:00:00.500Z',
      },
    ]);
    expect(result.warnings).toEqual([]);
  });

  test('new-callers asks for the 30-day baseline before the period in the timespan', async () => {
    fake.script({ kind: 'tables', columns: [], rows: [] });
    await service().run({ name: 'new-callers', since: '1d' });
    expect(fake.requests[0]!.body.timespan).toBe('2025-05-02T12:00:00.000Z/2025-06-02T12:00:00.000Z');
  });

  test('a partial result shows its rows with a warning, and a cut answer says so', async () => {
    fake.script({
      kind: 'partial',
      columns: WHO_COLUMNS,
      rows: [row('a', 9), row('b', 5), row('c', 1)],
      code: 'PartialError',
      message: 'Query result set has exceeded the internal data size limit',
    });
    const result = await service().run({ name: 'who', since: '7d' });
    expect(result.rows.map((r) => r.Principal)).toEqual(['a', 'b']);
    expect(result.truncated).toBe(true);
    expect(result.warnings.join('\n')).toMatch(
      /partial results: PartialError: Query result set has exceeded/,
    );
    expect(result.warnings.join('\n')).toMatch(/first 2 rows/);
  });

  test('403 becomes a permission message naming the role and the workspace', async () => {
    fake.script({
      kind: 'status',
      status: 403,
      code: 'InsufficientAccessError',
      message: 'The provided credentials have insufficient access',
    });
    const err = (await service()
      .run({ name: 'ops', since: '1h' })
      .catch((e) => e)) as KvWardenError;
    expect(err).toBeInstanceOf(QueryFailedError);
    expect(err.userMessage).toMatch(/Log Analytics Reader/);
    expect(err.userMessage).toContain(WS);
  });

  test('429 becomes a throttling error carrying Retry-After', async () => {
    fake.script({
      kind: 'status',
      status: 429,
      code: 'ThrottledError',
      message: 'Too many requests',
      retryAfter: '7',
    });
    const err = (await service()
      .run({ name: 'ops', since: '1h' })
      .catch((e) => e)) as UpstreamError;
    expect(err).toBeInstanceOf(UpstreamError);
    expect(err.code).toBe(ErrorCode.Throttled);
    expect(err.retryAfterMs).toBe(7000);
    expect(err.userMessage).toMatch(/throttling.*7 s/);
  });

  test('a throttled request is retried by the client after Retry-After when retries are allowed', async () => {
    fake.script(
      { kind: 'status', status: 429, code: 'ThrottledError', message: 'Too many requests', retryAfter: '0' },
      { kind: 'tables', columns: WHO_COLUMNS, rows: [row('a', 1)] },
    );
    const result = await service(1).run({ name: 'who', since: '1h' });
    expect(fake.requests).toHaveLength(2);
    expect(result.rows).toHaveLength(1);
  });

  test('a query the service rejects (400) reports the service message', async () => {
    fake.script({
      kind: 'status',
      status: 400,
      code: 'SemanticError',
      message: "Failed to resolve table 'AZKVAuditLogs'",
    });
    const err = (await service()
      .run({ name: 'ops', since: '1h' })
      .catch((e) => e)) as KvWardenError;
    expect(err).toBeInstanceOf(QueryFailedError);
    expect(err.userMessage).toMatch(/AZKVAuditLogs/);
  });
});
