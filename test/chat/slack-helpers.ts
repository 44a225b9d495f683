import { readFileSync } from 'node:fs';
import type { AppsManifestCreateArguments } from '@slack/web-api';
import Fastify, { type FastifyInstance } from 'fastify';
import YAML from 'yaml';
import type { ChatHandler } from '../../src/chat/chat-surface.js';
import { registerSlackRoutes, type SlackRuntime } from '../../src/chat/slack/slack-routes.js';
import { signSlackRequest } from '../../src/chat/slack/verify-slack-request.js';
import { FakeClock } from '../../src/util/clock.js';
import { silentLogger } from '../../src/util/logger.js';
import { type FakeSlackApi, startFakeSlackApi } from '../fakes/slack-api.js';

/** manifest/slack-app.yaml, parsed. */
export function readSlackManifest(): { text: string; manifest: SlackManifest } {
  const text = readFileSync(new URL('../../manifest/slack-app.yaml', import.meta.url), 'utf8');
  return { text, manifest: YAML.parse(text) as SlackManifest };
}

/** The bot scopes the Slack app manifest requests: the fake grants the harness's token exactly these. */
export function manifestBotScopes(): string[] {
  return [...(readSlackManifest().manifest.oauth_config?.scopes?.bot ?? [])];
}

export const SIGNING_SECRET = 'test-signing-secret';
export const BOT_TOKEN = 'xoxb-test-token';

export type SlackManifest = AppsManifestCreateArguments['manifest'];

export interface SlackHarness {
  server: FastifyInstance;
  base: string;
  fake: FakeSlackApi;
  runtime: SlackRuntime;
  clock: FakeClock;
  close(): Promise<void>;
}

/** A real fastify server with the Slack routes, Bolt inside, and the fake Web API behind it. */
export async function startSlackHarness(
  handler: ChatHandler,
  options: { clock?: FakeClock } = {},
): Promise<SlackHarness> {
  const fake = await startFakeSlackApi({ token: BOT_TOKEN, scopes: manifestBotScopes() });
  const clock = options.clock ?? new FakeClock(Date.now());
  const server = Fastify({ logger: false });
  server.get('/healthz', async () => ({ ok: true }));
  const runtime = registerSlackRoutes(server, {
    env: { botToken: BOT_TOKEN, signingSecret: SIGNING_SECRET, apiUrl: fake.apiUrl },
    handler,
    logger: silentLogger,
    clock,
  });
  const base = await server.listen({ host: '127.0.0.1', port: 0 });
  return {
    server,
    base,
    fake,
    runtime,
    clock,
    close: async () => {
      await server.close();
      await fake.close();
    },
  };
}

export interface SignedRequest {
  body: string;
  headers: Record<string, string>;
}

/** A request signed like Slack signs it, at the harness clock's time (or `ageMs` earlier). */
export function signed(
  clock: FakeClock,
  body: string,
  contentType: string,
  options: { ageMs?: number; secret?: string } = {},
): SignedRequest {
  const ts = Math.floor((clock.now() - (options.ageMs ?? 0)) / 1000);
  return {
    body,
    headers: {
      'content-type': contentType,
      'x-slack-request-timestamp': String(ts),
      'x-slack-signature': signSlackRequest(options.secret ?? SIGNING_SECRET, ts, body),
    },
  };
}

export function slashCommandBody(userId: string, text: string, responseUrl: string): string {
  return new URLSearchParams({
    token: 'legacy',
    team_id: 'T1',
    team_domain: 'contoso',
    channel_id: 'C0SEC',
    channel_name: 'security',
    user_id: userId,
    user_name: userId.toLowerCase(),
    command: '/kv',
    text,
    api_app_id: 'A1',
    response_url: responseUrl,
    trigger_id: '1.2.3',
  }).toString();
}

export function blockActionBody(opts: {
  userId: string;
  channel: string;
  ts: string;
  actionId: string;
  value: string;
  responseUrl: string;
  state?: unknown;
  ephemeral?: boolean;
}): string {
  const payload = {
    type: 'block_actions',
    user: {
      id: opts.userId,
      username: opts.userId.toLowerCase(),
      name: opts.userId.toLowerCase(),
      team_id: 'T1',
    },
    api_app_id: 'A1',
    token: 'legacy',
    container: {
      type: 'message',
      message_ts: opts.ts,
      channel_id: opts.channel,
      is_ephemeral: opts.ephemeral ?? false,
    },
    trigger_id: '1.2.3',
    team: { id: 'T1', domain: 'contoso' },
    channel: { id: opts.channel, name: 'security' },
    message: { type: 'message', ts: opts.ts, text: 'card', blocks: [] },
    state: opts.state ?? { values: {} },
    response_url: opts.responseUrl,
    actions: [
      {
        type: 'button',
        action_id: opts.actionId,
        block_id: 'b1',
        value: opts.value,
        text: { type: 'plain_text', text: 'Acknowledge' },
        action_ts: '1700000000.1',
      },
    ],
  };
  return new URLSearchParams({ payload: JSON.stringify(payload) }).toString();
}

export const FORM = 'application/x-www-form-urlencoded';

export async function post(base: string, req: SignedRequest): Promise<Response> {
  return fetch(`${base}/slack/events`, { method: 'POST', headers: req.headers, body: req.body });
}
