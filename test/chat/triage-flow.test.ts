import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AlertService } from '../../src/alerts/alert-service.js';
import { alertsCommand, helpCommand } from '../../src/alerts/commands.js';
import { Outbox } from '../../src/alerts/outbox.js';
import { AppChatHandler } from '../../src/app/app-chat-handler.js';
import type { ChatHandler } from '../../src/chat/chat-surface.js';
import { CommandRouter } from '../../src/chat/command-router.js';
import { Directory } from '../../src/config/directory.js';
import { loadConfig } from '../../src/config/load.js';
import { registerQueryCommands } from '../../src/queries/commands.js';
import { QueryService } from '../../src/queries/query-service.js';
import { openDuckDb } from '../../src/store/duckdb/open-duckdb.js';
import { EventHistory } from '../../src/store/history/event-history.js';
import { MemoryStore } from '../../src/store/memory-store.js';
import { FakeClock } from '../../src/util/clock.js';
import { silentLogger } from '../../src/util/logger.js';
import { buildDetection } from '../alerts/builders.js';
import { auditEvent, DAY, HOUR } from '../fixtures/events.js';
import {
  blockActionBody,
  FORM,
  post,
  type SlackHarness,
  signed,
  startSlackHarness,
} from './slack-helpers.js';
import {
  ALICE_AAD,
  CHANNEL,
  installActivity,
  invokeActivity,
  MALLORY_AAD,
  postActivity,
  startTeamsHarness,
  type TeamsHarness,
} from './teams-helpers.js';
import { until } from './triage-handler.js';

/**
 * The whole triage flow with the real alert workflow (AlertService, Outbox, AppChatHandler):
 * a detection becomes a card posted through the outbox, an authorised responder acknowledges it
 * from Slack / Teams and the same message is edited, a person without the role is refused and
 * the card stays as it was.
 */
const EVE_AAD = 'aaaaaaaa-0000-0000-0000-000000000003';
const CONFIG = loadConfig({
  env: {},
  text: `
people:
  alice: { slack: U01ALICE, teams: ${ALICE_AAD}, displayName: Alice }
  mallory: { slack: U01MALLORY, teams: ${MALLORY_AAD}, displayName: Mallory }
  eve: { slack: U01EVE, teams: ${EVE_AAD}, displayName: Eve }
roles:
  viewer: [alice, mallory]
  responder: [alice]
chat:
  default: { slack: C0SEC, teams: "${CHANNEL}" }
`,
});

/** The embedded query history behind the pivot buttons, holding the detection's caller's activity. */
async function openQueries(clock: FakeClock) {
  const db = await openDuckDb(':memory:');
  const history = await EventHistory.open(db, { retentionMs: 30 * DAY, clock });
  const d = buildDetection();
  const as = { oid: d.principal, upn: d.principalUpn!, ip: d.ip! };
  await history.append([
    auditEvent({ at: clock.now() - 2 * HOUR, as, operation: 'SecretDelete', status: 200 }),
    auditEvent({ at: clock.now() - HOUR, as, operation: 'SecretPurge', status: 204 }),
    auditEvent({ at: clock.now() - HOUR, as, vault: 'kv-dev', status: 403 }),
  ]);
  const service = new QueryService({
    engine: { kind: 'embedded', history },
    clock,
    tables: 'both',
    maxRows: 50,
    timeoutMs: 1000,
  });
  return { service, close: () => db.close() };
}

function stack() {
  const clock = new FakeClock(Date.now());
  const store = new MemoryStore();
  const directory = new Directory(CONFIG);
  let inner: ChatHandler | undefined;
  const handler: ChatHandler = {
    handleAction: (actor, action) => inner!.handleAction(actor, action),
    handleCommand: (actor, text) => inner!.handleCommand(actor, text),
  };
  const wire = (
    surfaces: ConstructorParameters<typeof Outbox>[0]['surfaces'],
    queries?: { service: QueryService },
  ) => {
    const outbox = new Outbox({ store, clock, surfaces });
    const alerts = new AlertService({ store, clock, config: CONFIG, directory, outbox });
    const router = new CommandRouter();
    router.register(helpCommand(() => router.list())).register(alertsCommand({ service: alerts, directory }));
    const app = new AppChatHandler(router, directory, silentLogger).registerActions('alert', (a, b) =>
      alerts.act(a, b),
    );
    if (queries) {
      // As the queries feature wires it: `query.*` actions, and pivot buttons on alert cards.
      app.registerActions('query', registerQueryCommands(router, { service: queries.service, directory }));
      alerts.enablePivots();
    }
    inner = app;
    return { outbox, alerts };
  };
  return { clock, store, directory, handler, wire };
}

describe('triage through Slack with the real alert workflow', () => {
  let h: SlackHarness;
  let s: ReturnType<typeof stack>;
  beforeEach(async () => {
    s = stack();
    h = await startSlackHarness(s.handler, { clock: s.clock });
  });
  afterEach(() => h.close());

  it('card posted → acknowledged by a responder in place → a non-responder is refused, card unchanged', async () => {
    const { outbox, alerts } = s.wire([h.runtime.surface]);
    const [recorded] = await alerts.record([buildDetection()]);
    await outbox.drain();
    expect(h.fake.messages.size).toBe(1);
    const message = [...h.fake.messages.values()][0]!;
    expect(message.channel).toBe('C0SEC');
    const blocks = JSON.stringify(message.blocks);
    expect(blocks).toContain('alert.ack');
    expect(blocks).toContain(recorded!.alert.id);

    const click = (userId: string, actionId: string, responseId: string) => {
      h.clock.advance(1000);
      return post(
        h.base,
        signed(
          h.clock,
          blockActionBody({
            userId,
            channel: 'C0SEC',
            ts: message.ts,
            actionId,
            value: JSON.stringify({ alertId: recorded!.alert.id }),
            responseUrl: h.fake.responseUrl(responseId),
          }),
          FORM,
        ),
      );
    };

    expect((await click('U01ALICE', 'alert.ack', 'alice')).status).toBe(200);
    await until(() => (h.fake.message('C0SEC', message.ts)?.updates ?? 0) >= 1);
    await outbox.drain(); // the workflow's own card update lands on the same message
    expect(h.fake.messages.size).toBe(1);
    const acknowledged = JSON.stringify(h.fake.message('C0SEC', message.ts)?.blocks);
    expect(acknowledged).toMatch(/Acknowledged/);
    expect(acknowledged).toMatch(/Alice/);
    expect(acknowledged).not.toContain('"alert.ack"');
    expect((await alerts.get(recorded!.alert.id))?.state).toBe('acknowledged');

    const updatesBefore = h.fake.message('C0SEC', message.ts)?.updates;
    await click('U01MALLORY', 'alert.escalate', 'mallory');
    await until(() => h.fake.responses.some((r) => r.id === 'mallory'));
    const refusal = h.fake.responses.find((r) => r.id === 'mallory')?.body;
    expect(refusal).toMatchObject({ response_type: 'ephemeral', replace_original: false });
    expect(String(refusal?.text)).toMatch(/not authorised/i);
    await outbox.drain();
    expect(h.fake.message('C0SEC', message.ts)?.updates).toBe(updatesBefore);
    expect(JSON.stringify(h.fake.message('C0SEC', message.ts)?.blocks)).toBe(acknowledged);
    expect((await alerts.get(recorded!.alert.id))?.escalated).toBe(false);
  });

  it('closes an alert with the classification and reason typed into the inline inputs', async () => {
    const { outbox, alerts } = s.wire([h.runtime.surface]);
    const [recorded] = await alerts.record([buildDetection()]);
    await outbox.drain();
    const message = [...h.fake.messages.values()][0]!;
    h.clock.advance(1000);
    await post(
      h.base,
      signed(
        h.clock,
        blockActionBody({
          userId: 'U01ALICE',
          channel: 'C0SEC',
          ts: message.ts,
          actionId: 'alert.close',
          value: JSON.stringify({ alertId: recorded!.alert.id }),
          responseUrl: h.fake.responseUrl('close'),
          state: {
            values: {
              'input~classification': {
                classification: { type: 'static_select', selected_option: { value: 'benign-positive' } },
              },
              'input~reason': { reason: { type: 'plain_text_input', value: 'scheduled backup job' } },
            },
          },
        }),
        FORM,
      ),
    );
    await until(() => (h.fake.message('C0SEC', message.ts)?.updates ?? 0) >= 1);
    const closed = await alerts.get(recorded!.alert.id);
    expect(closed).toMatchObject({ state: 'closed' });
    expect(JSON.stringify(closed)).toContain('scheduled backup job');
  });
});

describe('triage through Teams with the real alert workflow', () => {
  let h: TeamsHarness;
  let s: ReturnType<typeof stack>;
  beforeEach(async () => {
    s = stack();
    h = await startTeamsHarness(s.handler, {
      allowUnauthenticatedLocalDev: true,
      directory: s.directory,
      store: s.store,
      clock: s.clock,
    });
  });
  afterEach(() => h.close());

  it('card posted → acknowledged by a responder in place → a non-responder is refused, card unchanged', async () => {
    await postActivity(h.base, installActivity(h.connector.serviceUrl));
    const { outbox, alerts } = s.wire([h.runtime.surface]);
    const [recorded] = await alerts.record([buildDetection()]);
    await outbox.drain();
    expect(h.connector.activities).toHaveLength(1);
    const posted = h.connector.activities[0]!;
    expect(posted.conversationId).toBe(CHANNEL);
    // Everyone sees a read-only card; Alice (responder) is listed for the actionable refresh.
    const shared = JSON.stringify(posted.activity);
    expect(shared).not.toContain('"alert.ack"');
    expect(shared).toContain(`8:orgid:${ALICE_AAD}`);
    expect(shared).not.toContain(`8:orgid:${MALLORY_AAD}`);

    const invoke = async (aad: string, verb: string) =>
      (
        await postActivity(
          h.base,
          invokeActivity(h.connector.serviceUrl, {
            aad,
            verb,
            data: { alertId: recorded!.alert.id },
            replyToId: posted.id,
          }),
        )
      ).json();

    const aliceView = await invoke(ALICE_AAD, 'alert.refresh');
    expect(JSON.stringify(aliceView.value)).toContain('"alert.ack"');
    const malloryView = await invoke(MALLORY_AAD, 'alert.refresh');
    expect(JSON.stringify(malloryView.value)).not.toContain('"alert.ack"');

    const ack = await invoke(ALICE_AAD, 'alert.ack');
    expect(ack).toMatchObject({ statusCode: 200, type: 'application/vnd.microsoft.card.adaptive' });
    expect(JSON.stringify(ack.value)).toMatch(/Acknowledged/);
    await outbox.drain();
    expect(h.connector.activities).toHaveLength(1);
    expect(posted.updates).toBeGreaterThanOrEqual(1);
    const acknowledged = JSON.stringify(posted.activity);
    expect(acknowledged).toMatch(/Acknowledged/);

    const updatesBefore = posted.updates;
    const refused = await invoke(MALLORY_AAD, 'alert.escalate');
    expect(refused).toMatchObject({ statusCode: 200, type: 'application/vnd.microsoft.activity.message' });
    expect(refused.value).toMatch(/not authorised/i);
    await outbox.drain();
    expect(posted.updates).toBe(updatesBefore);
    expect(JSON.stringify(posted.activity)).toBe(acknowledged);
    expect((await alerts.get(recorded!.alert.id))?.escalated).toBe(false);
  });
});

type SlackButton = { action_id: string; value?: string; text: { text: string } };
function slackButtons(blocks: unknown[]): SlackButton[] {
  return (blocks as Array<{ type: string; elements?: SlackButton[] }>).flatMap((b) =>
    b.type === 'actions' ? (b.elements ?? []) : [],
  );
}

describe('alert pivot buttons through Slack', () => {
  let h: SlackHarness;
  let s: ReturnType<typeof stack>;
  let queries: Awaited<ReturnType<typeof openQueries>>;
  beforeEach(async () => {
    s = stack();
    h = await startSlackHarness(s.handler, { clock: s.clock });
    queries = await openQueries(s.clock);
  });
  afterEach(async () => {
    await h.close();
    await queries.close();
  });

  it("a viewer's click on This caller's activity answers privately with rows; a non-viewer is refused; the channel never changes", async () => {
    const { outbox, alerts } = s.wire([h.runtime.surface], queries);
    await alerts.record([buildDetection()]);
    await outbox.drain();
    const message = [...h.fake.messages.values()][0]!;
    const shared = JSON.stringify(message.blocks);
    const pivot = slackButtons(message.blocks).find((b) => b.text.text === "This caller's activity");
    expect(pivot).toBeDefined();
    expect(slackButtons(message.blocks).some((b) => b.text.text === "This IP's history")).toBe(true);
    const postsBefore = h.fake.calls.filter((c) => c.method === 'chat.postMessage').length;

    const click = (userId: string, responseId: string) => {
      h.clock.advance(1000);
      return post(
        h.base,
        signed(
          h.clock,
          blockActionBody({
            userId,
            channel: 'C0SEC',
            ts: message.ts,
            actionId: pivot!.action_id,
            value: pivot!.value!,
            responseUrl: h.fake.responseUrl(responseId),
          }),
          FORM,
        ),
      );
    };

    // Mallory is a viewer (not a responder): the query runs and only she gets the result card.
    expect((await click('U01MALLORY', 'viewer')).status).toBe(200);
    await until(() => h.fake.responses.some((r) => r.id === 'viewer'));
    const answer = h.fake.responses.find((r) => r.id === 'viewer')!.body;
    expect(answer).toMatchObject({ response_type: 'ephemeral', replace_original: false });
    const blocks = JSON.stringify(answer.blocks);
    expect(blocks).toContain('caller · e5555555-0000-4000-8000-000000000005');
    expect(blocks).toContain('SecretPurge');
    expect(blocks).toContain('kv-dev');
    expect(blocks).toContain('~10 minutes behind');
    expect(String(answer.text)).toMatch(/kv-prod-payments \| SecretPurge \| 204 \| 1/);

    // Eve holds no viewer role: refused, told why, nothing runs for her.
    expect((await click('U01EVE', 'non-viewer')).status).toBe(200);
    await until(() => h.fake.responses.some((r) => r.id === 'non-viewer'));
    const refusal = h.fake.responses.find((r) => r.id === 'non-viewer')!.body;
    expect(refusal).toMatchObject({ response_type: 'ephemeral', replace_original: false });
    expect(String(refusal.text)).toMatch(/not authorised/i);
    expect(String(refusal.text)).toMatch(/viewer/);
    expect(refusal.blocks).toBeUndefined();

    // The alert card is the same message, unchanged, and nothing else reached the channel.
    await outbox.drain();
    expect(h.fake.messages.size).toBe(1);
    expect(h.fake.message('C0SEC', message.ts)?.updates).toBe(0);
    expect(JSON.stringify(h.fake.message('C0SEC', message.ts)?.blocks)).toBe(shared);
    expect(h.fake.calls.filter((c) => c.method === 'chat.postMessage')).toHaveLength(postsBefore);
    expect(h.fake.ephemerals).toEqual([]);
    expect(h.fake.responses.map((r) => r.id).sort()).toEqual(['non-viewer', 'viewer']);
  });
});

describe('alert pivot buttons through Teams', () => {
  let h: TeamsHarness;
  let s: ReturnType<typeof stack>;
  let queries: Awaited<ReturnType<typeof openQueries>>;
  beforeEach(async () => {
    s = stack();
    h = await startTeamsHarness(s.handler, {
      allowUnauthenticatedLocalDev: true,
      directory: s.directory,
      store: s.store,
      clock: s.clock,
    });
    queries = await openQueries(s.clock);
  });
  afterEach(async () => {
    await h.close();
    await queries.close();
  });

  it('the result is the invoke response for the clicker only, with a way back; the posted card is not edited', async () => {
    await postActivity(h.base, installActivity(h.connector.serviceUrl));
    const { outbox, alerts } = s.wire([h.runtime.surface], queries);
    await alerts.record([buildDetection()]);
    await outbox.drain();
    const posted = h.connector.activities[0]!;
    const shared = JSON.stringify(posted.activity);
    // Everyone's read-only card keeps the read-only pivot buttons, not the lifecycle ones.
    expect(shared).toContain('"query.run"');
    expect(shared).not.toContain('"alert.ack"');
    const content = (posted.activity as { attachments: Array<{ content: { actions: unknown[] } }> })
      .attachments[0]!.content;
    const pivot = (
      content.actions as Array<{ title: string; verb: string; data: Record<string, unknown> }>
    ).find((a) => a.title === "This caller's activity")!;

    const invoke = async (aad: string, verb: string, data: Record<string, unknown>) =>
      (
        await postActivity(
          h.base,
          invokeActivity(h.connector.serviceUrl, { aad, verb, data, replyToId: posted.id }),
        )
      ).json();

    const answer = await invoke(MALLORY_AAD, pivot.verb, pivot.data);
    expect(answer).toMatchObject({ statusCode: 200, type: 'application/vnd.microsoft.card.adaptive' });
    const result = JSON.stringify(answer.value);
    expect(result).toContain('caller · e5555555-0000-4000-8000-000000000005');
    expect(result).toContain('SecretPurge');
    expect(result).not.toContain('"refresh"');
    const back = (answer.value.actions as Array<{ title: string; verb: string }>).find(
      (a) => a.title === 'Back to the card',
    );
    expect(back?.verb).toBe('kvw.refresh');
    const again = await invoke(MALLORY_AAD, back!.verb, {});
    expect(JSON.stringify(again.value)).toContain('destructive-operation');

    const refused = await invoke(EVE_AAD, pivot.verb, pivot.data);
    expect(refused).toMatchObject({ statusCode: 200, type: 'application/vnd.microsoft.activity.message' });
    expect(refused.value).toMatch(/not authorised/i);

    await outbox.drain();
    expect(h.connector.activities).toHaveLength(1);
    expect(posted.updates).toBe(0);
    expect(JSON.stringify(posted.activity)).toBe(shared);
  });
});
