import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ErrorCode, UpstreamError } from '../../src/errors.js';
import {
  blockActionBody,
  FORM,
  post,
  type SlackHarness,
  signed,
  slashCommandBody,
  startSlackHarness,
} from './slack-helpers.js';
import { TriageHandler, until } from './triage-handler.js';

let handler: TriageHandler;
let h: SlackHarness;

beforeEach(async () => {
  handler = new TriageHandler();
  h = await startSlackHarness(handler);
});
afterEach(async () => {
  await h.close();
});

describe('POST /slack/events request verification', () => {
  it('accepts a correctly signed /kv help and answers through response_url', async () => {
    const res = await post(
      h.base,
      signed(h.clock, slashCommandBody('U0STRANGER', 'help', h.fake.responseUrl('r1')), FORM),
    );
    expect(res.status).toBe(200);
    await until(() => h.fake.responses.length === 1);
    expect(h.fake.responses[0]).toMatchObject({
      id: 'r1',
      body: { response_type: 'ephemeral', text: 'kv-warden commands: help, alerts' },
    });
  });

  it.each([
    ['a forged signature', { secret: 'not-the-secret' }],
    ['a timestamp older than five minutes', { ageMs: 5 * 60_000 + 1000 }],
    ['a timestamp five minutes in the future', { ageMs: -(5 * 60_000 + 1000) }],
  ])('refuses %s with 401 and runs nothing', async (_name, options) => {
    const res = await post(
      h.base,
      signed(h.clock, slashCommandBody('U01ALICE', 'help', h.fake.responseUrl()), FORM, options),
    );
    expect(res.status).toBe(401);
    expect(handler.commandCalls).toBe(0);
    expect(h.fake.responses).toHaveLength(0);
  });

  it('refuses a request whose body was altered after signing', async () => {
    const req = signed(h.clock, slashCommandBody('U01ALICE', 'help', h.fake.responseUrl()), FORM);
    const res = await post(h.base, { ...req, body: req.body.replace('help', 'alerts') });
    expect(res.status).toBe(401);
    expect(handler.commandCalls).toBe(0);
  });

  it('refuses requests without signature headers', async () => {
    const res = await fetch(`${h.base}/slack/events`, {
      method: 'POST',
      headers: { 'content-type': FORM },
      body: 'a=b',
    });
    expect(res.status).toBe(401);
  });

  it('refuses a replay of a valid request with 401 and runs the command once', async () => {
    const req = signed(h.clock, slashCommandBody('U01ALICE', 'help', h.fake.responseUrl()), FORM);
    expect((await post(h.base, req)).status).toBe(200);
    expect((await post(h.base, req)).status).toBe(401);
    await until(() => h.fake.responses.length === 1);
    expect(handler.commandCalls).toBe(1);
  });

  it('answers the Events API url_verification challenge when signed', async () => {
    const body = JSON.stringify({ type: 'url_verification', challenge: 'c-123', token: 'x' });
    const res = await post(h.base, signed(h.clock, body, 'application/json'));
    expect(await res.json()).toEqual({ challenge: 'c-123' });
  });

  it('leaves the rest of the server parsing JSON as usual', async () => {
    expect((await fetch(`${h.base}/healthz`)).status).toBe(200);
  });
});

describe('/kv slash command', () => {
  it('acks before slow work finishes and answers later through respond()', async () => {
    let release!: () => void;
    handler.commandGate = new Promise((r) => {
      release = r;
    });
    const res = await post(
      h.base,
      signed(h.clock, slashCommandBody('U01ALICE', 'help', h.fake.responseUrl()), FORM),
    );
    expect(res.status).toBe(200);
    expect(h.fake.responses).toHaveLength(0);
    release();
    await until(() => h.fake.responses.length === 1);
  });

  it('lets an unmapped user run help but nothing else', async () => {
    await post(
      h.base,
      signed(h.clock, slashCommandBody('U0STRANGER', 'alerts', h.fake.responseUrl('r9')), FORM),
    );
    await until(() => h.fake.responses.length === 1);
    expect(h.fake.responses[0]?.body).toMatchObject({ response_type: 'ephemeral' });
    expect(String(h.fake.responses[0]?.body.text)).toMatch(/not mapped to a person/);
  });

  it('renders a card reply as Block Kit for a mapped user', async () => {
    await post(h.base, signed(h.clock, slashCommandBody('U01ALICE', 'alerts', h.fake.responseUrl()), FORM));
    await until(() => h.fake.responses.length === 1);
    const blocks = h.fake.responses[0]?.body.blocks as Array<{ type: string }>;
    expect(blocks.map((b) => b.type)).toEqual(['header', 'section', 'actions']);
  });

  it('answers an unknown subcommand with a usage hint', async () => {
    await post(
      h.base,
      signed(h.clock, slashCommandBody('U01ALICE', 'frobnicate', h.fake.responseUrl()), FORM),
    );
    await until(() => h.fake.responses.length === 1);
    expect(String(h.fake.responses[0]?.body.text)).toMatch(/unknown command "frobnicate"/);
  });
});

describe('triage through Slack', () => {
  it('posts a card, updates it in place for an authorised click, refuses others and leaves it unchanged', async () => {
    const location = await h.runtime.surface.postCard('C0SEC', handler.card('a1'));
    expect(location).toMatchObject({ surface: 'slack', channel: 'C0SEC' });
    const posted = h.fake.message('C0SEC', location.messageId);
    expect(JSON.stringify(posted?.blocks)).toContain('alert.acknowledge');

    const click = (userId: string, responseId: string) =>
      post(
        h.base,
        signed(
          h.clock,
          blockActionBody({
            userId,
            channel: 'C0SEC',
            ts: location.messageId,
            actionId: 'alert.acknowledge',
            value: JSON.stringify({ alertId: 'a1' }),
            responseUrl: h.fake.responseUrl(responseId),
          }),
          FORM,
        ),
      );

    // An authorised responder acknowledges: the same message is edited, the button is gone.
    expect((await click('U01ALICE', 'alice')).status).toBe(200);
    await until(() => (h.fake.message('C0SEC', location.messageId)?.updates ?? 0) === 1);
    const updated = h.fake.message('C0SEC', location.messageId);
    expect(JSON.stringify(updated?.blocks)).toContain('acknowledged');
    expect(JSON.stringify(updated?.blocks)).not.toContain('alert.acknowledge');
    expect(h.fake.messages.size).toBe(1);

    // A mapped person without the responder role is refused ephemerally; the card does not change.
    const before = JSON.stringify(updated?.blocks);
    h.clock.advance(1000);
    await click('U01MALLORY', 'mallory');
    await until(() => h.fake.responses.some((r) => r.id === 'mallory'));
    expect(h.fake.responses.find((r) => r.id === 'mallory')?.body).toMatchObject({
      response_type: 'ephemeral',
      replace_original: false,
    });
    expect(String(h.fake.responses.find((r) => r.id === 'mallory')?.body.text)).toMatch(/not authorised/);

    // An unmapped account is refused the same way (fail closed).
    h.clock.advance(1000);
    await click('U0STRANGER', 'stranger');
    await until(() => h.fake.responses.some((r) => r.id === 'stranger'));
    expect(String(h.fake.responses.find((r) => r.id === 'stranger')?.body.text)).toMatch(/not mapped/);

    const after = h.fake.message('C0SEC', location.messageId);
    expect(after?.updates).toBe(1);
    expect(JSON.stringify(after?.blocks)).toBe(before);
    expect(handler.alerts.get('a1')).toMatchObject({ state: 'acknowledged', by: 'Alice' });
  });

  it('refuses a button whose value is not JSON object data, changing nothing', async () => {
    const location = await h.runtime.surface.postCard('C0SEC', handler.card('a1'));
    await post(
      h.base,
      signed(
        h.clock,
        blockActionBody({
          userId: 'U01ALICE',
          channel: 'C0SEC',
          ts: location.messageId,
          actionId: 'alert.acknowledge',
          value: '["a1"]',
          responseUrl: h.fake.responseUrl('bad'),
        }),
        FORM,
      ),
    );
    await until(() => h.fake.responses.length === 1);
    expect(handler.actionCalls).toBe(0);
    expect(h.fake.message('C0SEC', location.messageId)?.updates).toBe(0);
  });
});

describe('cards in ephemeral replies', () => {
  it('replaces a clicked ephemeral card through response_url instead of chat.update', async () => {
    await post(
      h.base,
      signed(
        h.clock,
        blockActionBody({
          userId: 'U01ALICE',
          channel: 'C0SEC',
          ts: '1700000000.000900',
          actionId: 'alert.acknowledge',
          value: JSON.stringify({ alertId: 'a1' }),
          responseUrl: h.fake.responseUrl('eph'),
          ephemeral: true,
        }),
        FORM,
      ),
    );
    await until(() => h.fake.responses.some((r) => r.id === 'eph'));
    const body = h.fake.responses.find((r) => r.id === 'eph')?.body;
    expect(body).toMatchObject({ replace_original: true });
    expect(JSON.stringify(body?.blocks)).toContain('acknowledged');
    expect(h.fake.calls.filter((c) => c.method === 'chat.update')).toHaveLength(0);
  });
});

describe('SlackSurface', () => {
  it('turns a 429 into a throttled UpstreamError carrying Retry-After in ms', async () => {
    h.fake.rateLimit('chat.postMessage', 7);
    const err = await h.runtime.surface.postCard('C0SEC', handler.card('a1')).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UpstreamError);
    expect(err).toMatchObject({ retryAfterMs: 7000, code: ErrorCode.Throttled, transient: true });
    // The WebClient did not retry by itself: the outbox owns retrying.
    expect(h.fake.calls.filter((c) => c.method === 'chat.postMessage')).toHaveLength(1);
  });

  it('reports updating a message that does not exist as a permanent failure', async () => {
    const err = await h.runtime.surface
      .updateCard({ surface: 'slack', channel: 'C0SEC', messageId: '1.2' }, handler.card('a1'))
      .catch((e: unknown) => e);
    expect(err).toMatchObject({ code: ErrorCode.Upstream, transient: false });
    expect((err as Error).message).toMatch(/message_not_found/);
  });

  it('sends ephemeral replies with chat.postEphemeral', async () => {
    await h.runtime.surface.replyEphemeral('C0SEC', 'U01ALICE', 'only you');
    expect(h.fake.ephemerals).toEqual([{ channel: 'C0SEC', user: 'U01ALICE', text: 'only you' }]);
  });
});
