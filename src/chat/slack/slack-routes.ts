import { App, SocketModeReceiver } from '@slack/bolt';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ConfigError } from '../../errors.js';
import { type Clock, systemClock } from '../../util/clock.js';
import type { Logger } from '../../util/logger.js';
import type { ChatHandler } from '../chat-surface.js';
import { FastifyBoltReceiver } from './fastify-receiver.js';
import { ReplayCache } from './replay-cache.js';
import { boltLogger, createSlackWebClient, type SlackEnv, slackClientOptions } from './slack-client.js';
import { registerSlackListeners } from './slack-listeners.js';
import { SlackSurface } from './slack-surface.js';
import { MAX_REQUEST_AGE_MS, verifySlackSignature } from './verify-slack-request.js';

export const SLACK_EVENTS_PATH = '/slack/events';

export interface SlackDeps {
  readonly env: SlackEnv;
  readonly handler: ChatHandler;
  readonly logger: Logger;
  readonly clock?: Clock;
  /** Largest request body accepted (Slack payloads are small). */
  readonly bodyLimit?: number;
}

export interface SlackRuntime {
  readonly surface: SlackSurface;
  readonly app: App;
  readonly mode: 'http' | 'socket';
  /** Opens the Socket Mode connection (no-op in HTTP mode). */
  start(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * Slack for kv-warden. HTTP mode (default) mounts `POST /slack/events` on the app's fastify
 * server: the raw body is kept for the signature, requests older than five minutes or seen
 * before are refused with 401, then Bolt runs the listeners. With `SLACK_APP_TOKEN` set, Bolt
 * uses Socket Mode instead (no public URL needed) and no route is mounted.
 */
export function registerSlackRoutes(fastify: FastifyInstance, deps: SlackDeps): SlackRuntime {
  const { env, logger } = deps;
  if (!env.botToken) throw new ConfigError('env.SLACK_BOT_TOKEN', 'is required for Slack');
  const surface = new SlackSurface(createSlackWebClient(env, logger));
  const botToken = env.botToken;
  const common = {
    // With a bare `token` Bolt calls auth.test before every event (tokenVerificationEnabled: false)
    // or at start (true); kv-warden listens only to people (commands, clicks), never to its own
    // messages, so it needs no bot identity and acks without that extra round trip.
    authorize: async () => ({ botToken }),
    ignoreSelf: false,
    logger: boltLogger(logger),
    clientOptions: slackClientOptions(env, logger),
  };

  if (env.appToken) {
    // Bolt's default Socket Mode receiver would call apps.connections.open on slack.com whatever
    // SLACK_API_URL says (GovSlack); building it ourselves passes the API base through.
    const {
      retryConfig: _r,
      rejectRateLimitedCalls: _l,
      ...socketClientOptions
    } = slackClientOptions(env, logger);
    const receiver = new SocketModeReceiver({
      appToken: env.appToken,
      logger: boltLogger(logger),
      installerOptions: { clientOptions: socketClientOptions },
    });
    const app = new App({ ...common, receiver, socketMode: true });
    registerSlackListeners(app, { handler: deps.handler, surface, logger });
    return {
      surface,
      app,
      mode: 'socket',
      start: async () => {
        await app.start();
        logger.info('Slack Socket Mode connected');
      },
      stop: async () => {
        await app.stop();
      },
    };
  }

  if (!env.signingSecret)
    throw new ConfigError('env.SLACK_SIGNING_SECRET', 'is required for Slack in HTTP mode');
  const receiver = new FastifyBoltReceiver(logger);
  const app = new App({ ...common, receiver });
  registerSlackListeners(app, { handler: deps.handler, surface, logger });
  const clock = deps.clock ?? systemClock;
  const replays = new ReplayCache(clock, 2 * MAX_REQUEST_AGE_MS);
  const signingSecret = env.signingSecret;

  fastify.register(async (scope) => {
    // Encapsulated: only this route sees raw buffers; the rest of the server parses as usual.
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser(
      '*',
      { parseAs: 'buffer', bodyLimit: deps.bodyLimit ?? 1_048_576 },
      (_req, body, done) => done(null, body),
    );
    scope.post(SLACK_EVENTS_PATH, async (request: FastifyRequest, reply: FastifyReply) => {
      const raw = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
      const signature = header(request, 'x-slack-signature');
      const verdict = verifySlackSignature({
        signingSecret,
        rawBody: raw,
        signature,
        timestamp: header(request, 'x-slack-request-timestamp'),
        nowMs: clock.now(),
      });
      if (!verdict.ok) {
        logger.warn({ reason: verdict.reason, ip: request.ip }, 'refused Slack request');
        return reply.code(401).send({ error: 'invalid request signature' });
      }
      if (!replays.firstSighting(signature ?? '')) {
        logger.warn({ ip: request.ip }, 'refused replayed Slack request');
        return reply.code(401).send({ error: 'replayed request' });
      }
      const body = parseSlackBody(raw, header(request, 'content-type'));
      if (!body) return reply.code(400).send({ error: 'unreadable body' });
      if (body.type === 'url_verification') return reply.send({ challenge: body.challenge });
      if (body.ssl_check !== undefined) return reply.send();
      const retryNum = Number(header(request, 'x-slack-retry-num'));
      const retry = {
        ...(Number.isInteger(retryNum) && { num: retryNum }),
        ...(header(request, 'x-slack-retry-reason') && { reason: header(request, 'x-slack-retry-reason') }),
      };
      if (acksAtEdge(body)) {
        // Slash commands and button clicks are acknowledged with an empty 200 by every kv-warden
        // listener, so the route sends it as soon as the request is verified and runs Bolt after
        // the pending requests are read (setImmediate): a burst of commands is acked at the speed
        // of a bare route, and Bolt's work never delays the next ack.
        setImmediate(() => {
          void receiver.dispatch(body, retry);
        });
        return reply.code(200).send('');
      }
      const answer = await receiver.dispatch(body, retry);
      if (answer.contentType) reply.header('content-type', answer.contentType);
      return reply.code(answer.status).send(answer.body ?? '');
    });
  });

  return { surface, app, mode: 'http', start: async () => {}, stop: async () => {} };
}

/** Payloads whose ack is always empty in kv-warden (never a response_action or inline message). */
function acksAtEdge(body: Record<string, unknown>): boolean {
  return typeof body.command === 'string' || body.type === 'block_actions';
}

function header(request: FastifyRequest, name: string): string | undefined {
  const v = request.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

/** Slash commands and interactivity are form-encoded (interactivity as a JSON `payload` field); events are JSON. */
export function parseSlackBody(
  raw: Buffer,
  contentType: string | undefined,
): Record<string, unknown> | undefined {
  try {
    const text = raw.toString('utf8');
    if ((contentType ?? '').startsWith('application/json')) {
      const parsed: unknown = JSON.parse(text);
      return typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)
        ? (parsed as Record<string, unknown>)
        : undefined;
    }
    const form = Object.fromEntries(new URLSearchParams(text));
    if (typeof form.payload === 'string') {
      const parsed: unknown = JSON.parse(form.payload);
      return typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)
        ? (parsed as Record<string, unknown>)
        : undefined;
    }
    return form;
  } catch {
    return undefined;
  }
}
