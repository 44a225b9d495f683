import { gunzipSync } from 'node:zlib';
import { beforeAll, describe, expect, test } from 'vitest';
import { renderAlertCard } from '../../src/alerts/alert-card.js';
import { toBlockKit } from '../../src/chat/block-kit/to-block-kit.js';
import type { AdaptiveCard, ChatActor } from '../../src/chat/chat-surface.js';
import { CommandRouter } from '../../src/chat/command-router.js';
import { Directory } from '../../src/config/directory.js';
import { readEnv } from '../../src/config/env.js';
import { parseConfig } from '../../src/config/load.js';
import { InvalidParameterError, NotAuthorisedError, UnknownUserError } from '../../src/errors.js';
import { registerQueryCommands } from '../../src/queries/commands.js';
import { pivotTargets } from '../../src/queries/pivot-actions.js';
import type { LogQueryRequest, LogQueryRunner } from '../../src/queries/ports.js';
import { QueryService } from '../../src/queries/query-service.js';
import { openDuckDb } from '../../src/store/duckdb/open-duckdb.js';
import { EventHistory } from '../../src/store/history/event-history.js';
import { FakeClock } from '../../src/util/clock.js';
import { buildAlert } from '../alerts/builders.js';
import { auditEvent, BOB, HOUR, PAYMENTS_API, T0 } from '../fixtures/events.js';

const config = parseConfig(
  {
    people: {
      alice: { slack: 'U01ALICE' },
      bob: { slack: 'U01BOB' },
      carol: { slack: 'U01CAROL' },
    },
    roles: { viewer: ['alice'], responder: ['bob'] },
    vaults: { 'kv-dev': { roles: { viewer: ['carol'] } } },
  },
  readEnv({}),
);
const directory = new Directory(config);
const actor = (userId: string): ChatActor => ({ surface: 'slack', userId });
const clock = new FakeClock(T0 + 3 * HOUR);

/** The element and action types the Block Kit mapping supports (the brief's card subset). */
const SUBSET = new Set([
  'AdaptiveCard',
  'TextBlock',
  'RichTextBlock',
  'TextRun',
  'FactSet',
  'ColumnSet',
  'Column',
  'Container',
  'Table',
  'TableRow',
  'TableCell',
  'Image',
  'ActionSet',
  'Action.Execute',
  'Action.OpenUrl',
  'Action.ShowCard',
]);
function typesIn(node: unknown, out = new Set<string>()): Set<string> {
  if (Array.isArray(node)) for (const n of node) typesIn(n, out);
  else if (node && typeof node === 'object') {
    const t = (node as { type?: unknown }).type;
    if (typeof t === 'string') out.add(t);
    for (const v of Object.values(node)) typesIn(v, out);
  }
  return out;
}

let embeddedRouter: CommandRouter;
let embeddedAction: ReturnType<typeof registerQueryCommands>;

beforeAll(async () => {
  const db = await openDuckDb(':memory:');
  const history = await EventHistory.open(db, { retentionMs: 90 * 86_400_000, clock });
  await history.append([
    auditEvent({ at: T0 }),
    auditEvent({ at: T0 + 1000, status: 403, requestUri: 'https://x/[click](https://evil.example)' }),
    auditEvent({ at: T0 + 2000, as: PAYMENTS_API }),
    auditEvent({ at: T0 + 3000, vault: 'kv-dev', as: PAYMENTS_API }),
  ]);
  const service = new QueryService({
    engine: { kind: 'embedded', history },
    clock,
    tables: 'both',
    maxRows: 50,
    timeoutMs: 1000,
  });
  embeddedRouter = new CommandRouter();
  embeddedAction = registerQueryCommands(embeddedRouter, { service, directory });
});

async function command(router: CommandRouter, userId: string, text: string) {
  const { spec, args, rest } = router.parse(text);
  return spec.run({ actor: actor(userId), args, rest });
}

describe('/kv queries in chat', () => {
  test('registers every canned query as a subcommand', () => {
    expect(embeddedRouter.list().map((s) => s.name)).toEqual([
      'who',
      'ips',
      'failures',
      'ops',
      'changes',
      'new-callers',
      'caller',
    ]);
  });

  test('a viewer gets a result card: table, totals, period, data-lag caveat, no portal link in embedded mode', async () => {
    const reply = await command(embeddedRouter, 'U01ALICE', '/kv who kv-prod-payments today');
    const card = reply.card!.card;
    const json = JSON.stringify(card);
    expect([...typesIn(card)].every((t) => SUBSET.has(t))).toBe(true);
    expect(() => toBlockKit(card)).not.toThrow();
    expect(json).toContain('who · kv-prod-payments');
    expect(json).toContain('~10 minutes behind');
    expect(json).toContain('today (UTC)');
    expect(json).toContain('2 rows · 3 operations');
    expect(json).toContain(BOB.upn);
    expect(json).not.toContain('Action.OpenUrl');
    const table = card.body.find((e) => (e as { type: string }).type === 'Table') as {
      rows: { cells: unknown[] }[];
    };
    expect(table.rows).toHaveLength(3);
  });

  test('audit data cannot smuggle a markdown link onto the card', async () => {
    const reply = await command(embeddedRouter, 'U01ALICE', '/kv failures kv-prod-payments 1d');
    const json = JSON.stringify(reply.card!.card);
    expect(json).toContain('/[click] (https://evil.example)');
    expect(json).not.toContain('](https://evil');
  });

  test('caller takes the principal first, then vault and period in any order', async () => {
    const reply = await command(embeddedRouter, 'U01ALICE', `/kv caller ${PAYMENTS_API.oid} 1d`);
    const json = JSON.stringify(reply.card!.card);
    expect(json).toContain('kv-dev');
    expect(json).toContain('kv-prod-payments');
  });

  test('only the viewer role may query, per vault when the role is per vault', async () => {
    await expect(command(embeddedRouter, 'U01BOB', '/kv who kv-prod-payments')).rejects.toBeInstanceOf(
      NotAuthorisedError,
    );
    await expect(command(embeddedRouter, 'U01NOBODY', '/kv who kv-prod-payments')).rejects.toBeInstanceOf(
      UnknownUserError,
    );
    await expect(command(embeddedRouter, 'U01CAROL', '/kv who kv-dev 1d')).resolves.toHaveProperty('card');
    await expect(command(embeddedRouter, 'U01CAROL', '/kv who kv-prod-payments')).rejects.toBeInstanceOf(
      NotAuthorisedError,
    );
    await expect(command(embeddedRouter, 'U01CAROL', '/kv ops')).rejects.toBeInstanceOf(NotAuthorisedError);
  });

  test('hostile words are refused before anything runs', async () => {
    await expect(command(embeddedRouter, 'U01ALICE', `/kv who "kv'; drop"`)).rejects.toBeInstanceOf(
      InvalidParameterError,
    );
    await expect(command(embeddedRouter, 'U01ALICE', '/kv who kv-dev 7d extra')).rejects.toThrow(
      /unexpected/,
    );
  });
});

describe('pivot buttons on alert cards', () => {
  const alert = buildAlert({ principal: BOB.oid, principalUpn: BOB.upn, ip: BOB.ip });
  type Button = { title: string; verb: string; data: Record<string, unknown> };
  const pivots = () =>
    (renderAlertCard(alert, { pivots: true }).card.actions as Button[]).filter((a) => a.verb === 'query.run');

  test('the alert card offers this caller’s activity and this IP’s history as query.run actions', () => {
    expect(pivots()).toEqual([
      expect.objectContaining({
        type: 'Action.Execute',
        title: "This caller's activity",
        verb: 'query.run',
        data: { name: 'caller', caller: BOB.oid, since: '7d' },
      }),
      expect.objectContaining({
        type: 'Action.Execute',
        title: "This IP's history",
        verb: 'query.run',
        data: { name: 'who', vault: 'kv-prod-payments', ip: BOB.ip, since: '7d' },
      }),
    ]);
  });

  test.each([
    ['a GUID principal', { vault: 'kv-a', principal: BOB.oid.toUpperCase() }, { caller: BOB.oid }],
    [
      'an IP principal with a UPN',
      { vault: 'kv-a', principal: BOB.ip, principalUpn: BOB.upn },
      { caller: BOB.upn },
    ],
    ['an IP principal alone', { vault: 'kv-a', principal: '203.0.113.9' }, {}],
    [
      'an IPv6 caller IP',
      { vault: 'kv-a', principal: '203.0.113.9', ip: '2001:DB8::7' },
      { ip: '2001:db8::7' },
    ],
    [
      'a malformed IP and UPN',
      { vault: 'kv-a', principal: 'x', principalUpn: "o'brien@x.com", ip: '1.2.3' },
      {},
    ],
  ] as const)('pivot targets for %s', (_name, subject, expected) => {
    expect(pivotTargets(subject)).toEqual(expected);
  });

  test('a click answers the viewer privately with the result card, rows and a text fallback', async () => {
    const [callerAction, ipAction] = pivots();
    const out = await embeddedAction(actor('U01ALICE'), {
      verb: callerAction!.verb,
      data: callerAction!.data,
    });
    expect(out.card).toBeUndefined();
    expect(out.notice).toBeUndefined();
    const json = JSON.stringify(out.reply?.card);
    expect(json).toContain('caller · e5555555');
    expect(json).toContain('kv-prod-payments');
    expect(json).toContain('SecretGet');
    expect(() => toBlockKit(out.reply!.card)).not.toThrow();
    expect(out.reply?.text).toMatch(/kv-prod-payments \| SecretGet \| 200 \| 1/);
    const ipOut = await embeddedAction(actor('U01ALICE'), { verb: ipAction!.verb, data: ipAction!.data });
    expect(JSON.stringify(ipOut.reply?.card)).toContain(BOB.upn);
  });

  test('tampered button data is refused', async () => {
    const run = (data: Record<string, unknown>) =>
      embeddedAction(actor('U01ALICE'), { verb: 'query.run', data });
    await expect(run({ name: 'who', vault: "kv'|drop" })).rejects.toBeInstanceOf(InvalidParameterError);
    await expect(run({ name: 'who', vault: ['kv-dev'] })).rejects.toBeInstanceOf(InvalidParameterError);
    await expect(run({ name: 'nope' })).rejects.toThrow(/unknown query/);
    await expect(
      embeddedAction(actor('U01BOB'), { verb: 'query.run', data: { name: 'ops' } }),
    ).rejects.toBeInstanceOf(NotAuthorisedError);
  });
});

describe('Log Analytics mode', () => {
  /** An in-process runner: returns canned rows and keeps what it was asked. */
  class RecordingRunner implements LogQueryRunner {
    asked: LogQueryRequest[] = [];
    async query(request: LogQueryRequest) {
      this.asked.push(request);
      return { rows: [{ OperationName: 'SecretGet', Status: 200, Outcome: 'success', Count: 12 }] };
    }
  }

  test('the card carries an Open in Log Analytics link whose q= decodes to the exact KQL', async () => {
    const runner = new RecordingRunner();
    const service = new QueryService({
      engine: { kind: 'log-analytics', runner },
      clock,
      tables: 'AZKVAuditLogs',
      maxRows: 50,
      timeoutMs: 1000,
    });
    const router = new CommandRouter();
    const workspaceResourceId =
      '/subscriptions/00000000-0000-4000-8000-000000000001/resourceGroups/rg-mon/providers/Microsoft.OperationalInsights/workspaces/law-sec';
    registerQueryCommands(router, {
      service,
      directory,
      portal: { portalUrl: 'https://portal.azure.com', workspaceResourceId },
    });
    const reply = await command(router, 'U01ALICE', '/kv ops kv-prod-payments 24h');
    const card = reply.card!.card as AdaptiveCard;
    const json = JSON.stringify(card);
    expect(json).toContain('Log Analytics (AZKVAuditLogs)');
    const url = /"url":"([^"]+)"/.exec(json)![1]!;
    expect(
      url.startsWith('https://portal.azure.com/#blade/Microsoft_Azure_Monitoring_Logs/LogsBlade/resourceId/'),
    ).toBe(true);
    expect(decodeURIComponent(url.split('/resourceId/')[1]!.split('/')[0]!)).toBe(workspaceResourceId);
    const q = decodeURIComponent(/\/q\/([^/]+)\//.exec(url)![1]!);
    expect(gunzipSync(Buffer.from(q, 'base64')).toString('utf8')).toBe(runner.asked[0]!.kql);
    expect(() => toBlockKit(card)).not.toThrow();
  });
});
