import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createRotationFeature } from '../../src/app/rotation-feature.js';
import { type App, createApp } from '../../src/app.js';
import { loadConfig } from '../../src/config/load.js';
import { LOCAL_VAULT, LocalVaultProvider } from '../../src/rotation/local-vault-provider.js';
import { DEMO_SECRET, DEMO_VAULT, seedDemoVault } from '../../src/rotation/seed-demo-vault.js';
import { FakeClock } from '../../src/util/clock.js';
import { createLogger, silentLogger } from '../../src/util/logger.js';
import {
  BOT_TOKEN,
  blockActionBody,
  FORM,
  manifestBotScopes,
  SIGNING_SECRET,
  signed,
  slashCommandBody,
} from '../chat/slack-helpers.js';
import { ALICE_AAD, CHANNEL, installActivity, invokeActivity, postActivity } from '../chat/teams-helpers.js';
import { until } from '../chat/triage-handler.js';
import { type FakeBotConnector, startFakeBotConnector } from '../fakes/bot-connector.js';
import { type FakeSlackApi, startFakeSlackApi } from '../fakes/slack-api.js';
import { FULL_TRAIL } from '../rotation/harness.js';

/**
 * Two-person rotation through Slack and Teams at once, through createApp: Alice requests from Slack, her
 * Teams account is refused as the same person (KVW_SELF_APPROVAL), Carol approves from Slack, and both
 * cards end "Rotated". Every key value is a planted canary; afterwards every payload sent to Slack and
 * Teams, every invoke answer, the metrics, every log line and every store row outside the local vault is scanned.
 */
const CANARY = 'CANARY-CHAT-9d41e7';
const CAROL_AAD = 'cccccccc-0000-0000-0000-000000000003';
const T0 = Date.parse('2026-01-12T09:00:00Z');

let dir: string;
let app: App | undefined;
let slack: FakeSlackApi;
let connector: FakeBotConnector;

beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'kvw-rotation-chat-'));
  slack = await startFakeSlackApi({ token: BOT_TOKEN, scopes: manifestBotScopes() });
  connector = await startFakeBotConnector();
});
afterEach(async () => {
  await app?.stop();
  app = undefined;
  await slack.close();
  await connector.close();
  await rm(dir, { recursive: true, force: true });
});

function config() {
  return loadConfig({
    env: { SLACK_BOT_TOKEN: BOT_TOKEN, SLACK_SIGNING_SECRET: SIGNING_SECRET, SLACK_API_URL: slack.apiUrl },
    text: `
store: { duckdb: ${JSON.stringify(path.join(dir, 'kv.duckdb'))} }
server: { port: 0, console: false }
teams: { allowUnauthenticatedLocalDev: true }
people:
  alice: { slack: U01ALICE, teams: ${ALICE_AAD}, displayName: Alice }
  carol: { slack: U03CAROL, teams: ${CAROL_AAD}, displayName: Carol }
roles: { viewer: [alice, carol], requester: [alice], approver: [alice, carol] }
rotation: { channel: { slack: C0ROT, teams: "${CHANNEL}" } }
`,
  });
}

describe('rotation through Slack and Teams', () => {
  it('is requested in Slack, refused to the requester’s Teams account, approved by another person, and no key value reaches chat, metrics, logs or the store', async () => {
    const clock = new FakeClock(T0);
    const logLines: string[] = [];
    const logger = createLogger({
      level: 'debug',
      destination: new Writable({
        write(chunk, _enc, done) {
          logLines.push(String(chunk));
          done();
        },
      }),
    });
    let n = 0;
    const newKeyValue = () => `${CANARY}-${++n}-${'Q'.repeat(64)}`;
    const feature = createRotationFeature({
      providers: async (ctx) => {
        const local = new LocalVaultProvider(ctx.store, ctx.clock, { newKeyValue });
        await seedDemoVault(local, { nowMs: ctx.clock.now() });
        return { vault: local, rotator: local, kind: 'local' };
      },
    });
    app = await createApp(config(), { clock, logger, cwd: dir, idleMs: 0, features: [feature] });
    await app.start();
    const base = app.url!;
    const invokeAnswers: string[] = [];
    expect((await postActivity(base, installActivity(connector.serviceUrl))).status).toBe(200);

    // 1. Alice requests from Slack; the answer comes through respond(), the card goes to both channels.
    clock.advance(1000);
    const request = signed(
      clock,
      slashCommandBody(
        'U01ALICE',
        `rotate ${DEMO_VAULT} ${DEMO_SECRET} canary through chat`,
        slack.responseUrl('rq'),
      ),
      FORM,
    );
    expect((await fetch(`${base}/slack/events`, { method: 'POST', ...request })).status).toBe(200);
    await until(() => slack.responses.some((r) => r.id === 'rq'));
    expect(String(slack.responses.find((r) => r.id === 'rq')?.body.text)).toMatch(
      /^Rotation rot-\S+ of kv-demo-payments\/storage-key .*waiting for 1 approval/,
    );
    await until(() => [...slack.messages.values()].some((m) => m.channel === 'C0ROT'));
    await until(() => connector.activities.some((a) => JSON.stringify(a.activity).includes('Key rotation')));
    const slackCard = [...slack.messages.values()].find((m) => m.channel === 'C0ROT')!;
    const teamsCard = connector.activities.find((a) => JSON.stringify(a.activity).includes('Key rotation'))!;
    const approveButton = (
      slackCard.blocks as Array<{ elements?: Array<{ action_id?: string; value?: string }> }>
    )
      .flatMap((b) => b.elements ?? [])
      .find((e) => e.action_id?.startsWith('rotation.approve'));
    expect(approveButton?.value).toBeDefined();
    const data = JSON.parse(approveButton!.value!) as Record<string, unknown>;
    const before = JSON.stringify(slack.message('C0ROT', slackCard.ts)?.blocks);

    // 2. Alice approves from her Teams account: the same person, refused; nothing changes anywhere.
    clock.advance(1000);
    const refused = await postActivity(
      base,
      invokeActivity(connector.serviceUrl, {
        aad: ALICE_AAD,
        verb: 'rotation.approve',
        data,
        replyToId: teamsCard.id,
      }),
    );
    const refusedBody = await refused.text();
    invokeAnswers.push(refusedBody);
    expect(JSON.parse(refusedBody)).toMatchObject({ type: 'application/vnd.microsoft.activity.message' });
    expect(refusedBody).toMatch(/You requested this rotation, so you cannot approve it/);
    const rotationId = String(data.rotationId);
    const trail = async () => (await app!.context.store.listAudit(rotationId)).map((e) => e.action);
    expect(await trail()).toEqual(['rotation.requested']);
    expect(JSON.stringify(slack.message('C0ROT', slackCard.ts)?.blocks)).toBe(before);
    expect(teamsCard.updates).toBe(0);

    // 3. Carol approves from Slack: the rotation runs; both cards are edited in place to "Rotated".
    clock.advance(1000);
    const click = signed(
      clock,
      blockActionBody({
        userId: 'U03CAROL',
        channel: 'C0ROT',
        ts: slackCard.ts,
        actionId: approveButton!.action_id!,
        value: approveButton!.value!,
        responseUrl: slack.responseUrl('carol'),
      }),
      FORM,
    );
    expect((await fetch(`${base}/slack/events`, { method: 'POST', ...click })).status).toBe(200);
    await until(() => JSON.stringify(slack.message('C0ROT', slackCard.ts)?.blocks).includes('Rotated'));
    await until(() => JSON.stringify(connector.find(CHANNEL, teamsCard.id)?.activity).includes('Rotated'));
    expect(await trail()).toEqual(FULL_TRAIL);
    expect(slack.messages.size).toBeGreaterThanOrEqual(1);

    // 4. The canary scan. The values are in the local vault (so the scan means something) ...
    const metrics = await (await fetch(`${base}/metrics`)).text();
    expect(metrics).toMatch(/^# HELP /m);
    await app.stop();
    app = undefined;
    const reopened = await createApp(config(), { clock, logger: silentLogger, cwd: dir, features: [] });
    app = reopened;
    const duckdb = reopened.context.duckdb!;
    const vault = await duckdb.all<{ body: string }>(
      `SELECT CAST(body AS VARCHAR) AS body FROM store_documents WHERE collection = ?`,
      [LOCAL_VAULT],
    );
    expect(vault.map((r) => r.body).join('\n')).toContain(CANARY);
    // ... and nowhere else.
    const rows = await duckdb.all(
      `SELECT collection, id, CAST(body AS VARCHAR) AS body FROM store_documents WHERE collection <> ?`,
      [LOCAL_VAULT],
    );
    const audit = await duckdb.all('SELECT * FROM store_audit_trail');
    expect(rows.some((r) => r.collection === 'rotations')).toBe(true);
    const outgoing = {
      slack: slack.payloads,
      teams: connector.payloads,
      invokeAnswers,
      metrics,
      logLines,
      rows: JSON.stringify(rows),
      audit: JSON.stringify(audit, (_k, v) => (typeof v === 'bigint' ? String(v) : v)),
    };
    expect(slack.payloads.length).toBeGreaterThan(3);
    expect(connector.payloads.length).toBeGreaterThan(2);
    expect(logLines.some((l) => l.includes(rotationId))).toBe(true);
    for (const [where, texts] of Object.entries(outgoing)) {
      const leaks = [texts].flat().filter((t) => t.includes(CANARY));
      expect(leaks, `key value found in ${where}`).toEqual([]);
    }
  });
});
