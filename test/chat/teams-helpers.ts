import { Writable } from 'node:stream';
import Fastify, { type FastifyInstance } from 'fastify';
import pino from 'pino';
import type { ChatHandler } from '../../src/chat/chat-surface.js';
import { registerTeamsRoutes, type TeamsRuntime } from '../../src/chat/teams/teams-routes.js';
import { Directory } from '../../src/config/directory.js';
import { readEnv } from '../../src/config/env.js';
import type { Config } from '../../src/config/load.js';
import { MemoryStore } from '../../src/store/memory-store.js';
import { FakeClock } from '../../src/util/clock.js';
import { type FakeBotConnector, startFakeBotConnector } from '../fakes/bot-connector.js';
import type { BotFrameworkIssuer } from './bot-jwt.js';
import { TEST_CONFIG } from './triage-handler.js';

export const BOT_ID = '11111111-2222-3333-4444-555555555555';
/** The SDK decodes the bot's outbound token as a JWT (expiry, tenant), so it must look like one. */
export const OUTBOUND_TOKEN = [
  { alg: 'RS256', typ: 'JWT' },
  { aud: 'https://api.botframework.com', appid: '11111111-2222-3333-4444-555555555555', exp: 4_102_444_800 },
]
  .map((part) => Buffer.from(JSON.stringify(part)).toString('base64url'))
  .concat('c2lnbmF0dXJl')
  .join('.');
export const ALICE_AAD = 'aaaaaaaa-0000-0000-0000-000000000001';
export const MALLORY_AAD = 'aaaaaaaa-0000-0000-0000-000000000002';
export const CHANNEL = '19:security@thread.tacv2';

export interface TeamsHarness {
  base: string;
  server: FastifyInstance;
  connector: FakeBotConnector;
  runtime: TeamsRuntime;
  store: MemoryStore;
  clock: FakeClock;
  logs: string[];
  close(): Promise<void>;
}

/** A fastify server carrying the Teams routes, the fake connector as serviceUrl, and captured logs. */
export async function startTeamsHarness(
  handler: ChatHandler,
  options: {
    issuer?: BotFrameworkIssuer;
    allowUnauthenticatedLocalDev?: boolean;
    directory?: Directory;
    store?: MemoryStore;
    clock?: FakeClock;
  },
): Promise<TeamsHarness> {
  // Without CLIENT_ID the bot has no identity to get an outbound token with (local development
  // against Agents Playground); with it, the connector insists on the bot's bearer token.
  const connector = await startFakeBotConnector(options.issuer ? { token: OUTBOUND_TOKEN } : {});
  const logs: string[] = [];
  const logger = pino(
    { level: 'warn' },
    new Writable({
      write(chunk, _enc, cb) {
        logs.push(String(chunk));
        cb();
      },
    }),
  );
  const config: Pick<Config, 'teams' | 'env' | 'azure'> = {
    azure: TEST_CONFIG.azure,
    teams: { allowUnauthenticatedLocalDev: options.allowUnauthenticatedLocalDev ?? false },
    env: readEnv(options.issuer ? { CLIENT_ID: BOT_ID } : {}),
  };
  const store = options.store ?? new MemoryStore();
  const clock = options.clock ?? new FakeClock(Date.now());
  const server = Fastify({ logger: false });
  const runtime = registerTeamsRoutes(server, {
    config,
    handler,
    store,
    directory: options.directory ?? new Directory(TEST_CONFIG),
    logger,
    clock,
    botToken: () => OUTBOUND_TOKEN,
    defaultServiceUrl: connector.serviceUrl,
    ...(options.issuer && { cloud: options.issuer.cloud }),
  });
  const base = await server.listen({ host: '127.0.0.1', port: 0 });
  return {
    base,
    server,
    connector,
    runtime,
    store,
    clock,
    logs,
    close: async () => {
      await server.close();
      await connector.close();
    },
  };
}

export function messageActivity(serviceUrl: string, text: string, aad = ALICE_AAD, conversationId = CHANNEL) {
  return {
    type: 'message',
    id: `m-${Math.random().toString(36).slice(2)}`,
    channelId: 'msteams',
    serviceUrl,
    timestamp: new Date().toISOString(),
    from: { id: `29:${aad}`, aadObjectId: aad, name: 'User' },
    recipient: { id: `28:${BOT_ID}`, name: 'kv-warden' },
    conversation: { id: conversationId, conversationType: 'channel', tenantId: 'tenant-1' },
    channelData: { tenant: { id: 'tenant-1' }, team: { id: '19:team@thread.tacv2' } },
    text,
    entities: [
      { type: 'mention', text: '<at>kv-warden</at>', mentioned: { id: `28:${BOT_ID}`, name: 'kv-warden' } },
    ],
  };
}

export function invokeActivity(
  serviceUrl: string,
  opts: {
    aad: string;
    verb: string;
    data: Record<string, unknown>;
    replyToId: string;
    conversationId?: string;
  },
) {
  return {
    type: 'invoke',
    name: 'adaptiveCard/action',
    id: `i-${Math.random().toString(36).slice(2)}`,
    channelId: 'msteams',
    serviceUrl,
    from: { id: `29:${opts.aad}`, aadObjectId: opts.aad, name: 'User' },
    recipient: { id: `28:${BOT_ID}`, name: 'kv-warden' },
    conversation: { id: opts.conversationId ?? CHANNEL, conversationType: 'channel', tenantId: 'tenant-1' },
    channelData: { tenant: { id: 'tenant-1' } },
    replyToId: opts.replyToId,
    value: { action: { type: 'Action.Execute', verb: opts.verb, data: opts.data }, trigger: 'manual' },
  };
}

export function installActivity(serviceUrl: string, conversationId = CHANNEL) {
  return {
    type: 'conversationUpdate',
    id: 'cu-1',
    channelId: 'msteams',
    serviceUrl,
    from: { id: '29:installer', aadObjectId: 'ffffffff-0000-0000-0000-000000000099' },
    recipient: { id: `28:${BOT_ID}`, name: 'kv-warden' },
    conversation: { id: conversationId, conversationType: 'channel', tenantId: 'tenant-1' },
    channelData: {
      tenant: { id: 'tenant-1' },
      team: { id: '19:team@thread.tacv2', name: 'Security' },
      eventType: 'teamMemberAdded',
    },
    membersAdded: [{ id: `28:${BOT_ID}` }],
  };
}

export async function postActivity(base: string, activity: unknown, token?: string): Promise<Response> {
  return fetch(`${base}/api/messages`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token && { authorization: `Bearer ${token}` }) },
    body: JSON.stringify(activity),
  });
}
