import Fastify from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import { registerSlackRoutes, type SlackRuntime } from '../../src/chat/slack/slack-routes.js';
import { silentLogger } from '../../src/util/logger.js';
import { type FakeSlackApi, startFakeSlackApi } from '../fakes/slack-api.js';
import { blockActionBody, manifestBotScopes } from './slack-helpers.js';
import { type FakeSocketMode, startFakeSocketMode } from './socket-mode-server.js';
import { TriageHandler, until } from './triage-handler.js';

const BOT = 'xoxb-socket';
const APP = 'xapp-socket';
let fake: FakeSlackApi | undefined;
let ws: FakeSocketMode | undefined;
let runtime: SlackRuntime | undefined;

afterEach(async () => {
  await runtime?.stop().catch(() => {});
  await ws?.close();
  await fake?.close();
  runtime = undefined;
});

describe('Slack Socket Mode (SLACK_APP_TOKEN set)', () => {
  it('mounts no HTTP route, connects through SLACK_API_URL, acks a /kv envelope and answers via respond()', async () => {
    ws = await startFakeSocketMode();
    fake = await startFakeSlackApi({ token: BOT, appToken: APP, socketUrl: () => ws!.url });
    const handler = new TriageHandler();
    const server = Fastify({ logger: false });
    runtime = registerSlackRoutes(server, {
      env: { botToken: BOT, appToken: APP, apiUrl: fake.apiUrl },
      handler,
      logger: silentLogger,
    });
    expect(runtime.mode).toBe('socket');
    const res = await server.inject({ method: 'POST', url: '/slack/events', payload: 'a=b' });
    expect(res.statusCode).toBe(404);
    await server.close();

    await runtime.start();
    await ws.connected();
    expect(fake.calls.find((c) => c.method === 'apps.connections.open')?.status).toBe(200);
    ws.send({
      envelope_id: 'env-1',
      type: 'slash_commands',
      accepts_response_payload: true,
      payload: {
        team_id: 'T1',
        channel_id: 'C0SEC',
        user_id: 'U01ALICE',
        user_name: 'alice',
        command: '/kv',
        text: 'help',
        response_url: fake.responseUrl('socket'),
        trigger_id: '1.2',
      },
    });
    await until(() => ws!.acks.some((a) => a.envelope_id === 'env-1'));
    await until(() => fake!.responses.some((r) => r.id === 'socket'));
    expect(fake.responses.find((r) => r.id === 'socket')?.body).toMatchObject({
      text: 'kv-warden commands: help, alerts',
    });
  });

  it('acks a slow command before its work ends, edits the card on a click, and refuses others ephemerally', async () => {
    ws = await startFakeSocketMode();
    fake = await startFakeSlackApi({
      token: BOT,
      appToken: APP,
      socketUrl: () => ws!.url,
      scopes: manifestBotScopes(),
    });
    const handler = new TriageHandler();
    runtime = registerSlackRoutes(Fastify({ logger: false }), {
      env: { botToken: BOT, appToken: APP, apiUrl: fake.apiUrl },
      handler,
      logger: silentLogger,
    });
    await runtime.start();
    await ws.connected();

    // A command whose work is still running: the envelope is acknowledged, the answer comes later.
    let release!: () => void;
    handler.commandGate = new Promise((r) => {
      release = r;
    });
    ws.send({
      envelope_id: 'slow-1',
      type: 'slash_commands',
      accepts_response_payload: true,
      payload: {
        team_id: 'T1',
        channel_id: 'C0SEC',
        user_id: 'U01ALICE',
        user_name: 'alice',
        command: '/kv',
        text: 'alerts',
        response_url: fake.responseUrl('slow'),
        trigger_id: '1.2',
      },
    });
    await until(() => ws!.acks.some((a) => a.envelope_id === 'slow-1'));
    expect(fake.responses).toHaveLength(0);
    release();
    await until(() => fake!.responses.some((r) => r.id === 'slow'));
    handler.commandGate = undefined;

    // Button clicks arrive as `interactive` envelopes: acked, then the posted card is edited in place.
    const location = await runtime.surface.postCard('C0SEC', handler.card('a1'));
    const click = (envelopeId: string, userId: string, responseId: string) =>
      ws!.send({
        envelope_id: envelopeId,
        type: 'interactive',
        accepts_response_payload: false,
        payload: JSON.parse(
          new URLSearchParams(
            blockActionBody({
              userId,
              channel: 'C0SEC',
              ts: location.messageId,
              actionId: 'alert.acknowledge',
              value: JSON.stringify({ alertId: 'a1' }),
              responseUrl: fake!.responseUrl(responseId),
            }),
          ).get('payload') ?? '{}',
        ),
      });
    click('click-1', 'U01ALICE', 'alice');
    await until(() => (fake!.message('C0SEC', location.messageId)?.updates ?? 0) === 1);
    expect(ws.acks.some((a) => a.envelope_id === 'click-1')).toBe(true);
    expect(JSON.stringify(fake.message('C0SEC', location.messageId)?.blocks)).toContain('acknowledged');

    const before = JSON.stringify(fake.message('C0SEC', location.messageId)?.blocks);
    click('click-2', 'U01MALLORY', 'mallory');
    await until(() => fake!.responses.some((r) => r.id === 'mallory'));
    expect(fake.responses.find((r) => r.id === 'mallory')?.body).toMatchObject({
      response_type: 'ephemeral',
      replace_original: false,
    });
    expect(fake.message('C0SEC', location.messageId)?.updates).toBe(1);
    expect(JSON.stringify(fake.message('C0SEC', location.messageId)?.blocks)).toBe(before);
  });
});
