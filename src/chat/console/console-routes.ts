import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Directory } from '../../config/directory.js';
import { userMessageFor } from '../../errors.js';
import type { Logger } from '../../util/logger.js';
import type { ChatActor, ChatHandler } from '../chat-surface.js';
import {
  CONSOLE_COOKIE,
  consoleCookie,
  isLoopbackAddress,
  isLoopbackHost,
  readCookie,
  tokensMatch,
} from './console-auth.js';
import type { ConsoleEvent, ConsoleSurface } from './console-surface.js';

export interface ConsoleRoutesOptions {
  readonly surface: ConsoleSurface;
  readonly handler: ChatHandler;
  readonly directory: Directory;
  /** The random token printed at start. */
  readonly token: string;
  readonly logger: Logger;
  /** SSE keep-alive comment interval. */
  readonly heartbeatMs?: number;
}

const PAGE_DIR = new URL('./page/', import.meta.url);
const MAX_TEXT = 4_000;

/**
 * The local console: the page, its script, the Adaptive Cards renderer, a server-sent event stream of
 * card posts and updates, and the two inbound routes (button clicks, `/kv` commands). Every route is
 * loopback-only and needs the start-up token (query on the first load, then an HttpOnly cookie).
 */
export async function registerConsoleRoutes(
  app: FastifyInstance,
  options: ConsoleRoutesOptions,
): Promise<void> {
  const { surface, handler, directory, token, logger } = options;
  const heartbeatMs = options.heartbeatMs ?? 15_000;
  const [html, script, style, renderer] = await Promise.all([
    readFile(new URL('index.html', PAGE_DIR), 'utf8'),
    readFile(new URL('console.js', PAGE_DIR), 'utf8'),
    readFile(new URL('console.css', PAGE_DIR), 'utf8'),
    readFile(adaptiveCardsBundlePath(), 'utf8'),
  ]);

  await app.register(async (scope) => {
    scope.addHook('onRequest', async (request, reply) => {
      const refusal = checkAccess(request, token);
      if (refusal) {
        reply.code(refusal.status).header('content-type', 'text/plain; charset=utf-8').send(refusal.text);
        return reply;
      }
      reply.header('cache-control', 'no-store');
      reply.header('x-content-type-options', 'nosniff');
      reply.header('referrer-policy', 'no-referrer');
      return undefined;
    });

    scope.get('/', async (request, reply) => {
      const query = request.query as { token?: string };
      if (query.token !== undefined) {
        // First load: trade the query token for a cookie and drop it from the address bar.
        return reply.header('set-cookie', consoleCookie(token)).redirect('/', 303);
      }
      return reply
        .header('content-type', 'text/html; charset=utf-8')
        .header(
          'content-security-policy',
          "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
        )
        .send(html);
    });

    scope.get('/console/console.js', async (_request, reply) =>
      reply.header('content-type', 'text/javascript; charset=utf-8').send(script),
    );
    scope.get('/console/console.css', async (_request, reply) =>
      reply.header('content-type', 'text/css; charset=utf-8').send(style),
    );
    scope.get('/console/adaptivecards.js', async (_request, reply) =>
      reply.header('content-type', 'text/javascript; charset=utf-8').send(renderer),
    );

    scope.get('/console/people', async () => ({
      people: directory
        .all()
        .map((p) => ({ name: p.name, displayName: p.displayName, roles: directory.rolesOf(p) })),
    }));

    scope.get('/console/messages', async () => ({ messages: surface.list() }));

    scope.get('/console/events', (request, reply) => {
      reply.hijack();
      const res = reply.raw;
      res.writeHead(200, {
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-store',
        connection: 'keep-alive',
        'x-accel-buffering': 'no',
      });
      const send = (event: ConsoleEvent) => {
        const name = event.type === 'message' ? 'post' : 'notice';
        res.write(`event: ${name}\ndata: ${JSON.stringify(event)}\n\n`);
      };
      res.write('retry: 2000\n\n');
      // Everything posted so far, then live changes: a reload shows the same page.
      for (const message of surface.list()) send({ type: 'message', message });
      const detach = surface.subscribe(send);
      const heartbeat = setInterval(() => res.write(': keep-alive\n\n'), heartbeatMs);
      heartbeat.unref();
      const close = () => {
        clearInterval(heartbeat);
        detach();
      };
      request.raw.on('close', close);
      res.on('error', close);
    });

    scope.post('/console/action', async (request, reply) => {
      const body = parseAction(request.body);
      if (!body) return reply.code(400).send({ notice: 'The click did not carry a valid action.' });
      const actor: ChatActor = { surface: 'console', userId: body.user };
      try {
        const outcome = await handler.handleAction(actor, {
          verb: body.verb,
          data: body.data,
          ...(body.inputs ? { inputs: body.inputs } : {}),
        });
        // The answer goes only to the page that clicked; a `reply` card is never posted to the channel.
        return { notice: outcome.notice ?? null, card: outcome.card ?? null, reply: outcome.reply ?? null };
      } catch (err) {
        logger.warn({ err, verb: body.verb }, 'console action failed');
        return { notice: userMessageFor(err), card: null, reply: null };
      }
    });

    scope.post('/console/command', async (request, reply) => {
      const body = request.body as { text?: unknown; user?: unknown } | undefined;
      if (
        !body ||
        typeof body.text !== 'string' ||
        typeof body.user !== 'string' ||
        body.text.length > MAX_TEXT
      ) {
        return reply.code(400).send({ text: 'A command needs text and a selected user.' });
      }
      try {
        const answer = await handler.handleCommand({ surface: 'console', userId: body.user }, body.text);
        return { text: answer.text ?? null, card: answer.card ?? null, ephemeral: answer.ephemeral ?? false };
      } catch (err) {
        logger.warn({ err }, 'console command failed');
        return { text: userMessageFor(err), card: null, ephemeral: true };
      }
    });
  });
}

/** Path of the adaptivecards UMD bundle (the file that defines `window.AdaptiveCards`). */
export function adaptiveCardsBundlePath(): string {
  const require = createRequire(import.meta.url);
  return require.resolve('adaptivecards/package.json').replace(/package\.json$/, 'dist/adaptivecards.min.js');
}

function checkAccess(request: FastifyRequest, token: string): { status: number; text: string } | undefined {
  if (!isLoopbackAddress(request.socket.remoteAddress))
    return { status: 403, text: 'The console only answers on the loopback interface.' };
  if (!isLoopbackHost(request.headers.host))
    return { status: 403, text: 'The console only answers to 127.0.0.1 or localhost.' };
  if (request.method === 'POST') {
    const origin = request.headers.origin;
    if (origin !== undefined && !isLoopbackHost(hostOfOrigin(origin)))
      return { status: 403, text: 'Cross-site requests are refused.' };
  }
  const query = (request.query ?? {}) as { token?: unknown };
  const path = request.url.split('?')[0];
  if (path === '/' && typeof query.token === 'string') {
    return tokensMatch(token, query.token) ? undefined : { status: 403, text: 'Wrong console token.' };
  }
  const cookie = readCookie(request.headers.cookie, CONSOLE_COOKIE);
  if (cookie === undefined)
    return {
      status: 401,
      text: 'Open the console with the URL kv-warden printed at start (it carries the token).',
    };
  if (!tokensMatch(token, cookie))
    return { status: 403, text: 'Wrong console token: open the URL printed at the latest start.' };
  return undefined;
}

function hostOfOrigin(origin: string): string | undefined {
  try {
    return new URL(origin).host;
  } catch {
    return undefined;
  }
}

interface ActionBody {
  readonly user: string;
  readonly verb: string;
  readonly data: Record<string, unknown>;
  readonly inputs?: Record<string, string>;
}

/** Validates a click from the page: a verb, a selected user, plain data and string inputs. */
function parseAction(body: unknown): ActionBody | undefined {
  if (!body || typeof body !== 'object') return undefined;
  const b = body as Record<string, unknown>;
  if (typeof b.user !== 'string' || b.user.length === 0 || b.user.length > 100) return undefined;
  if (typeof b.verb !== 'string' || !/^[A-Za-z0-9._:-]{1,100}$/.test(b.verb)) return undefined;
  const data = b.data === undefined ? {} : b.data;
  if (!data || typeof data !== 'object' || Array.isArray(data)) return undefined;
  let inputs: Record<string, string> | undefined;
  if (b.inputs !== undefined) {
    if (!b.inputs || typeof b.inputs !== 'object' || Array.isArray(b.inputs)) return undefined;
    inputs = {};
    for (const [k, v] of Object.entries(b.inputs as Record<string, unknown>)) {
      if (typeof v !== 'string' || v.length > MAX_TEXT) return undefined;
      inputs[k] = v;
    }
  }
  return { user: b.user, verb: b.verb, data: data as Record<string, unknown>, ...(inputs ? { inputs } : {}) };
}
