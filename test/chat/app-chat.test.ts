import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type App, createApp } from '../../src/app.js';
import { loadConfig } from '../../src/config/load.js';
import { FakeClock } from '../../src/util/clock.js';
import { silentLogger } from '../../src/util/logger.js';
import { type FakeBotConnector, startFakeBotConnector } from '../fakes/bot-connector.js';
import { type FakeSlackApi, startFakeSlackApi } from '../fakes/slack-api.js';
import { auditEvent, MINUTE, T0 } from '../fixtures/events.js';
import { BOT_TOKEN, blockActionBody, FORM, SIGNING_SECRET, signed } from './slack-helpers.js';
import { ALICE_AAD, CHANNEL, installActivity, postActivity } from './teams-helpers.js';
import { until } from './triage-handler.js';

/**
 * The composition root with both chat adapters on its one fastify server: an audit event becomes
 * one alert whose card reaches Slack and Teams; Acknowledge clicked in Slack edits the Slack
 * message and, through the outbox, the Teams card too.
 */
let dir: string;
let app: App | undefined;
let slack: FakeSlackApi;
let connector: FakeBotConnector;

beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'kvw-chat-app-'));
  slack = await startFakeSlackApi({ token: BOT_TOKEN });
  connector = await startFakeBotConnector();
});
afterEach(async () => {
  await app?.stop();
  app = undefined;
  await slack.close();
  await connector.close();
  await rm(dir, { recursive: true, force: true });
});

describe('kv-warden with Slack and Teams configured', () => {
  it('posts one alert to both surfaces and keeps both cards in step after a Slack click', async () => {
    const config = loadConfig({
      env: { SLACK_BOT_TOKEN: BOT_TOKEN, SLACK_SIGNING_SECRET: SIGNING_SECRET, SLACK_API_URL: slack.apiUrl },
      text: `
store: { duckdb: ${JSON.stringify(path.join(dir, 'kv.duckdb'))} }
server: { port: 0, console: false }
detection: { lateness: 1m }
teams: { allowUnauthenticatedLocalDev: true }
people:
  alice: { slack: U01ALICE, teams: ${ALICE_AAD}, displayName: Alice }
roles: { viewer: [alice], responder: [alice] }
chat:
  default: { slack: C0SEC, teams: "${CHANNEL}" }
`,
    });
    const clock = new FakeClock(T0 + 10 * MINUTE);
    app = await createApp(config, { clock, logger: silentLogger, cwd: dir, idleMs: 0, features: [] });
    await app.start();
    const base = app.url!;

    expect((await postActivity(base, installActivity(connector.serviceUrl))).status).toBe(200);
    await app.context.pipeline.ingest(
      [
        {
          kind: 'audit',
          event: auditEvent({ operation: 'SecretPurge', status: 204, at: T0, secret: 'stripe-api-key' }),
        },
      ],
      { source: 'test' },
    );
    await app.context.pipeline.ingest(
      [{ kind: 'audit', event: auditEvent({ operation: 'SecretGet', at: T0 + 5 * MINUTE }) }],
      { source: 'test' },
    );
    await app.context.outbox.drain();
    await until(() => slack.messages.size === 1 && connector.activities.length === 1, 20_000);
    const message = [...slack.messages.values()][0]!;
    const teamsCard = connector.activities[0]!;
    const value = /"value":"(\{\\"alertId\\":\\"(A-[0-9A-F]{10})\\"\})"/.exec(JSON.stringify(message.blocks));
    expect(value?.[2]).toBeDefined();

    clock.advance(1000);
    const res = await fetch(`${base}/slack/events`, {
      method: 'POST',
      ...(() => {
        const req = signed(
          clock,
          blockActionBody({
            userId: 'U01ALICE',
            channel: 'C0SEC',
            ts: message.ts,
            actionId: 'alert.ack',
            value: JSON.stringify({ alertId: value![2] }),
            responseUrl: slack.responseUrl('alice'),
          }),
          FORM,
        );
        return { headers: req.headers, body: req.body };
      })(),
    });
    expect(res.status).toBe(200);
    await until(
      () => JSON.stringify(slack.message('C0SEC', message.ts)?.blocks).includes('Acknowledged'),
      20_000,
    );
    await until(() => JSON.stringify(teamsCard.activity).includes('Acknowledged'), 20_000);
    expect(slack.messages.size).toBe(1);
    expect(connector.activities).toHaveLength(1);
  });
});
