import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { CONVERSATIONS } from '../../src/chat/teams/conversation-refs.js';
import { ErrorCode, UpstreamError } from '../../src/errors.js';
import { startFakeBotConnector } from '../fakes/bot-connector.js';
import { type BotFrameworkIssuer, otherKey, startBotFrameworkIssuer } from './bot-jwt.js';
import {
  ALICE_AAD,
  BOT_ID,
  CHANNEL,
  installActivity,
  invokeActivity,
  MALLORY_AAD,
  messageActivity,
  postActivity,
  startTeamsHarness,
  type TeamsHarness,
} from './teams-helpers.js';
import { TriageHandler, until } from './triage-handler.js';

let issuer: BotFrameworkIssuer;
let h: TeamsHarness | undefined;

beforeAll(async () => {
  issuer = await startBotFrameworkIssuer();
});
afterAll(async () => {
  await issuer.close();
});
afterEach(async () => {
  await h?.close();
  h = undefined;
});

const nowSec = () => Math.floor(Date.now() / 1000);

describe('POST /api/messages with CLIENT_ID set (Bot Framework JWT)', () => {
  const claims = (h: TeamsHarness, extra: Record<string, unknown> = {}) => ({
    aud: BOT_ID,
    serviceurl: h.connector.serviceUrl,
    nbf: nowSec() - 60,
    exp: nowSec() + 3600,
    ...extra,
  });

  it('accepts a valid token and runs the command', async () => {
    const handler = new TriageHandler();
    h = await startTeamsHarness(handler, { issuer });
    const res = await postActivity(
      h.base,
      messageActivity(h.connector.serviceUrl, '<at>kv-warden</at> help'),
      issuer.token(claims(h)),
    );
    expect(res.status).toBe(200);
    expect(handler.commandCalls).toBe(1);
    await until(() => h!.connector.activities.length === 1);
    expect(h.connector.activities[0]?.activity).toMatchObject({
      type: 'message',
      text: 'kv-warden commands: help, alerts',
    });
  });

  it.each([
    ['no token', () => undefined],
    ['a token signed by another key', (x: TeamsHarness) => issuer.token(claims(x), { key: otherKey() })],
    ['a token for another audience', (x: TeamsHarness) => issuer.token(claims(x, { aud: 'someone-else' }))],
    [
      'an expired token',
      (x: TeamsHarness) => issuer.token(claims(x, { nbf: nowSec() - 7200, exp: nowSec() - 3600 })),
    ],
    [
      'a token from another issuer',
      (x: TeamsHarness) => issuer.token(claims(x, { iss: 'https://evil.example' })),
    ],
    [
      'a token for another service URL',
      (x: TeamsHarness) => issuer.token(claims(x, { serviceurl: 'https://other.example' })),
    ],
    ['a malformed token', () => 'not.a.jwt'],
  ])('refuses %s with 401 and does nothing', async (_name, makeToken) => {
    const handler = new TriageHandler();
    h = await startTeamsHarness(handler, { issuer });
    const res = await postActivity(h.base, messageActivity(h.connector.serviceUrl, 'help'), makeToken(h));
    expect(res.status).toBe(401);
    expect(handler.commandCalls).toBe(0);
    expect(h.connector.activities).toHaveLength(0);
    expect(await h.store.list(CONVERSATIONS)).toHaveLength(0);
  });

  it('keeps validating tokens even when the local-development flag is also set', async () => {
    const handler = new TriageHandler();
    h = await startTeamsHarness(handler, { issuer, allowUnauthenticatedLocalDev: true });
    const res = await postActivity(h.base, messageActivity(h.connector.serviceUrl, 'help'));
    expect(res.status).toBe(401);
    expect(h.logs.join('')).toMatch(/allowUnauthenticatedLocalDev is ignored/);
  });
});

describe('POST /api/messages without CLIENT_ID', () => {
  it('refuses everything unless the local-development flag is set', async () => {
    const handler = new TriageHandler();
    h = await startTeamsHarness(handler, {});
    const res = await postActivity(h.base, messageActivity(h.connector.serviceUrl, 'help'));
    expect(res.status).toBe(401);
    expect(handler.commandCalls).toBe(0);
  });

  it('accepts unauthenticated activities only with the flag, and logs a warning', async () => {
    const handler = new TriageHandler();
    h = await startTeamsHarness(handler, { allowUnauthenticatedLocalDev: true });
    const res = await postActivity(h.base, messageActivity(h.connector.serviceUrl, 'help'));
    expect(res.status).toBe(200);
    expect(h.logs.join('')).toMatch(/UNAUTHENTICATED/);
  });
});

describe('Teams conversations and commands', () => {
  it('records the conversation reference when the app is installed', async () => {
    h = await startTeamsHarness(new TriageHandler(), { allowUnauthenticatedLocalDev: true });
    expect((await postActivity(h.base, installActivity(h.connector.serviceUrl))).status).toBe(200);
    const ref = await h.store.get(CONVERSATIONS, CHANNEL);
    expect(ref?.value).toMatchObject({
      conversationId: CHANNEL,
      serviceUrl: h.connector.serviceUrl,
      tenantId: 'tenant-1',
      teamId: '19:team@thread.tacv2',
    });
  });

  it('strips the @mention and answers commands; an unmapped user may run help only', async () => {
    const handler = new TriageHandler();
    h = await startTeamsHarness(handler, { allowUnauthenticatedLocalDev: true });
    await postActivity(
      h.base,
      messageActivity(
        h.connector.serviceUrl,
        '<at>kv-warden</at> alerts',
        'ffffffff-0000-0000-0000-000000000009',
      ),
    );
    await until(() => h!.connector.activities.length === 1);
    expect(String(h.connector.activities[0]?.activity.text)).toMatch(/not mapped to a person/);
    await postActivity(
      h.base,
      messageActivity(h.connector.serviceUrl, '<at>kv-warden</at> kv alerts', ALICE_AAD),
    );
    await until(() => h!.connector.activities.length === 2);
    expect(h.connector.activities[1]?.activity).toMatchObject({
      attachments: [{ contentType: 'application/vnd.microsoft.card.adaptive' }],
    });
  });
});

describe('triage through Teams', () => {
  it('posts a card, updates it in place for an authorised click, refuses others and leaves it unchanged', async () => {
    const handler = new TriageHandler();
    h = await startTeamsHarness(handler, { allowUnauthenticatedLocalDev: true });
    await postActivity(h.base, installActivity(h.connector.serviceUrl));

    // Proactive post: everyone sees a read-only card; people who may act refresh to the actionable one.
    const location = await h.runtime.surface.postCard(CHANNEL, handler.card('a1'));
    const posted = h.connector.find(CHANNEL, location.messageId);
    const content = (
      posted?.activity.attachments as Array<{ content: Record<string, unknown> }> | undefined
    )?.[0]?.content;
    expect(JSON.stringify(content)).not.toContain('alert.acknowledge');
    expect(content?.refresh).toMatchObject({
      action: { verb: 'kvw.refresh' },
      userIds: [`8:orgid:${ALICE_AAD}`],
    });

    const invoke = (aad: string, verb: string) =>
      postActivity(
        h!.base,
        invokeActivity(h!.connector.serviceUrl, {
          aad,
          verb,
          data: { alertId: 'a1' },
          replyToId: location.messageId,
        }),
      );

    // Alice's client refreshes: she gets the card with the Acknowledge button.
    const refreshed = await (await invoke(ALICE_AAD, 'kvw.refresh')).json();
    expect(refreshed).toMatchObject({ statusCode: 200, type: 'application/vnd.microsoft.card.adaptive' });
    expect(JSON.stringify(refreshed.value)).toContain('alert.acknowledge');
    // Mallory (no responder role) refreshing gets the read-only view.
    const malloryView = await (await invoke(MALLORY_AAD, 'kvw.refresh')).json();
    expect(JSON.stringify(malloryView.value)).not.toContain('alert.acknowledge');

    // Alice acknowledges: the invoke answers with the refreshed card and the message is edited in place.
    const ack = await invoke(ALICE_AAD, 'alert.acknowledge');
    expect(ack.status).toBe(200);
    const ackBody = await ack.json();
    expect(ackBody).toMatchObject({ statusCode: 200, type: 'application/vnd.microsoft.card.adaptive' });
    expect(JSON.stringify(ackBody.value)).toContain('acknowledged');
    const edited = h.connector.find(CHANNEL, location.messageId);
    expect(edited?.updates).toBe(1);
    expect(JSON.stringify(edited?.activity)).toContain('acknowledged');
    expect(h.connector.activities).toHaveLength(1);

    // Mallory is refused with a message only she sees; the card is not edited again.
    const before = JSON.stringify(edited?.activity);
    const refused = await (await invoke(MALLORY_AAD, 'alert.acknowledge')).json();
    expect(refused).toMatchObject({ statusCode: 200, type: 'application/vnd.microsoft.activity.message' });
    expect(refused.value).toMatch(/not authorised/);
    // So is an account that maps to nobody.
    const stranger = await (await invoke('ffffffff-0000-0000-0000-000000000009', 'alert.acknowledge')).json();
    expect(stranger.value).toMatch(/not mapped/);
    expect(h.connector.find(CHANNEL, location.messageId)?.updates).toBe(1);
    expect(JSON.stringify(h.connector.find(CHANNEL, location.messageId)?.activity)).toBe(before);
    expect(handler.alerts.get('a1')).toMatchObject({ state: 'acknowledged', by: 'Alice' });
  });

  it('refuses an invoke without a verb with 400 semantics', async () => {
    h = await startTeamsHarness(new TriageHandler(), { allowUnauthenticatedLocalDev: true });
    const res = await postActivity(
      h.base,
      invokeActivity(h.connector.serviceUrl, { aad: ALICE_AAD, verb: '', data: {}, replyToId: 'x' }),
    );
    expect(await res.json()).toMatchObject({ statusCode: 400 });
  });
});

describe('TeamsSurface', () => {
  it('turns a 429 into a throttled UpstreamError carrying Retry-After in ms', async () => {
    const handler = new TriageHandler();
    h = await startTeamsHarness(handler, { allowUnauthenticatedLocalDev: true });
    h.connector.rateLimit(3);
    const err = await h.runtime.surface.postCard(CHANNEL, handler.card('a1')).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UpstreamError);
    expect(err).toMatchObject({ code: ErrorCode.Throttled, retryAfterMs: 3000 });
    expect(h.connector.activities).toHaveLength(0);
  });

  it('fails an update of an activity the connector does not know as permanent', async () => {
    const handler = new TriageHandler();
    h = await startTeamsHarness(handler, { allowUnauthenticatedLocalDev: true });
    const err = await h.runtime.surface
      .updateCard({ surface: 'teams', channel: CHANNEL, messageId: 'nope' }, handler.card('a1'))
      .catch((e: unknown) => e);
    expect(err).toMatchObject({ code: ErrorCode.Upstream, transient: false });
  });
});

describe('refresh user ids', () => {
  it('lists responders by AAD form until Teams tells us their MRI, then by that MRI', async () => {
    h = await startTeamsHarness(new TriageHandler(), { allowUnauthenticatedLocalDev: true });
    expect(h.runtime.surface.refreshUserIds()).toEqual([`8:orgid:${ALICE_AAD}`]);
    await postActivity(h.base, messageActivity(h.connector.serviceUrl, 'help', ALICE_AAD));
    expect(h.runtime.surface.refreshUserIds()).toEqual([`29:${ALICE_AAD}`]);
  });
});

describe('Teams routing by recorded conversation', () => {
  it('posts to the service URL recorded at install, not the default one', async () => {
    const handler = new TriageHandler();
    h = await startTeamsHarness(handler, { allowUnauthenticatedLocalDev: true });
    const regional = await startFakeBotConnector();
    try {
      await postActivity(h.base, installActivity(regional.serviceUrl, '19:emea@thread.tacv2'));
      await h.runtime.surface.postText('19:emea@thread.tacv2', 'escalated: <at>secops</at>');
      expect(regional.activities).toEqual([
        expect.objectContaining({
          conversationId: '19:emea@thread.tacv2',
          activity: expect.objectContaining({ text: 'escalated: <at>secops</at>' }),
        }),
      ]);
      expect(h.connector.activities).toHaveLength(0);
    } finally {
      await regional.close();
    }
  });

  it('forgets the conversation when the app is uninstalled', async () => {
    h = await startTeamsHarness(new TriageHandler(), { allowUnauthenticatedLocalDev: true });
    await postActivity(h.base, installActivity(h.connector.serviceUrl));
    expect(await h.store.get(CONVERSATIONS, CHANNEL)).toBeDefined();
    const uninstall = {
      ...installActivity(h.connector.serviceUrl),
      type: 'installationUpdate',
      action: 'remove',
    };
    expect((await postActivity(h.base, uninstall)).status).toBe(200);
    expect(await h.store.get(CONVERSATIONS, CHANNEL)).toBeUndefined();
  });

  it('records a thread reply under its channel conversation', async () => {
    h = await startTeamsHarness(new TriageHandler(), { allowUnauthenticatedLocalDev: true });
    await postActivity(
      h.base,
      messageActivity(
        h.connector.serviceUrl,
        '<at>kv-warden</at> help',
        ALICE_AAD,
        `${CHANNEL};messageid=1700000000000`,
      ),
    );
    expect((await h.store.list(CONVERSATIONS)).map((c) => c.id)).toEqual([CHANNEL]);
  });
});
