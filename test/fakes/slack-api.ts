import Fastify, { type FastifyInstance, type FastifyReply } from 'fastify';

/**
 * A fake Slack Web API on 127.0.0.1 that enforces the rules kv-warden depends on:
 * bearer token required, the token's scopes (`missing_scope`), `chat.postMessage` returns `ts`/`channel`, `chat.update` needs an
 * existing message, malformed blocks are refused with `invalid_blocks` (over 50 blocks, text over
 * 3000, more than 25 actions, duplicate action ids, button values over 2000), 429 with
 * Retry-After on demand, and `response_url` posts recorded (at most 5 per URL, as Slack allows).
 */
export interface FakeMessage {
  channel: string;
  ts: string;
  text: string;
  blocks: unknown[];
  /** How many times chat.update changed it. */
  updates: number;
}

export interface FakeSlackApi {
  /** Base for `slackApiUrl`, ending in `/api/`. */
  readonly apiUrl: string;
  /** A fresh response_url on this fake. */
  responseUrl(id?: string): string;
  readonly messages: Map<string, FakeMessage>;
  readonly ephemerals: Array<{ channel: string; user: string; text: string }>;
  readonly responses: Array<{ id: string; body: Record<string, unknown> }>;
  readonly calls: Array<{ method: string; status: number }>;
  /** Every request body received (Web API calls and response_url posts), as JSON text. */
  readonly payloads: string[];
  /** The next `count` calls of `method` answer 429 with Retry-After: `retryAfterSec`. */
  rateLimit(method: string, retryAfterSec: number, count?: number): void;
  message(channel: string, ts: string): FakeMessage | undefined;
  close(): Promise<void>;
}

const BLOCK_TYPES = new Set([
  'section',
  'header',
  'context',
  'actions',
  'image',
  'input',
  'divider',
  'rich_text',
]);

/**
 * The bot-token scope each Web API method kv-warden may call needs (docs.slack.dev/reference/methods/<method>);
 * `null` for none. A method missing here is one nobody checked: the scope test fails on it.
 */
export const SLACK_METHOD_SCOPES: Readonly<Record<string, string | null>> = {
  'auth.test': null,
  'chat.postMessage': 'chat:write',
  'chat.update': 'chat:write',
  'chat.postEphemeral': 'chat:write',
  'chat.delete': 'chat:write',
  'users.info': 'users:read',
  'conversations.open': 'im:write',
};

export async function startFakeSlackApi(options: {
  token: string;
  /** Scopes granted to the bot token: a method needing another one answers `missing_scope`, as Slack does. */
  scopes?: readonly string[];
  /** Socket Mode: the app-level token `apps.connections.open` requires, and the URL it returns. */
  appToken?: string;
  socketUrl?: () => string;
}): Promise<FakeSlackApi> {
  const app: FastifyInstance = Fastify({ logger: false });
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_req, body, done) =>
    done(null, Object.fromEntries(new URLSearchParams(body as string))),
  );
  const messages = new Map<string, FakeMessage>();
  const ephemerals: FakeSlackApi['ephemerals'] = [];
  const responses: FakeSlackApi['responses'] = [];
  const calls: FakeSlackApi['calls'] = [];
  const payloads: string[] = [];
  app.addHook('preHandler', async (request) => {
    payloads.push(JSON.stringify(request.body ?? null));
  });
  const limits = new Map<string, { retryAfterSec: number; count: number }>();
  const responseUses = new Map<string, number>();
  let seq = 1_700_000_000;

  const fail = (reply: FastifyReply, method: string, error: string) => {
    calls.push({ method, status: 200 });
    return reply.send({ ok: false, error });
  };

  app.post('/api/:method', async (request, reply) => {
    const { method } = request.params as { method: string };
    const limit = limits.get(method);
    if (limit && limit.count > 0) {
      limit.count--;
      calls.push({ method, status: 429 });
      return reply
        .code(429)
        .header('retry-after', String(limit.retryAfterSec))
        .send({ ok: false, error: 'ratelimited' });
    }
    if (method === 'apps.connections.open') {
      if (
        !options.appToken ||
        request.headers.authorization !== `Bearer ${options.appToken}` ||
        !options.socketUrl
      ) {
        return fail(reply, method, 'invalid_auth');
      }
      calls.push({ method, status: 200 });
      return { ok: true, url: options.socketUrl() };
    }
    if (request.headers.authorization !== `Bearer ${options.token}`) return fail(reply, method, 'not_authed');
    const needed = SLACK_METHOD_SCOPES[method];
    if (options.scopes && needed && !options.scopes.includes(needed)) {
      calls.push({ method, status: 200 });
      return reply.send({ ok: false, error: 'missing_scope', needed, provided: options.scopes.join(',') });
    }
    const args = (request.body ?? {}) as Record<string, unknown>;
    const blocks = parseBlocks(args.blocks);
    if (blocks === 'invalid') return fail(reply, method, 'invalid_blocks');
    const problem = blocks ? blockProblem(blocks) : undefined;
    if (problem) return fail(reply, method, `invalid_blocks: ${problem}`);
    const text = typeof args.text === 'string' ? args.text : '';
    const channel = typeof args.channel === 'string' ? args.channel : '';
    switch (method) {
      case 'auth.test':
        calls.push({ method, status: 200 });
        return { ok: true, user_id: 'UBOT', bot_id: 'BBOT', team_id: 'T1' };
      case 'chat.postMessage': {
        if (!channel) return fail(reply, method, 'channel_not_found');
        if (!text && !blocks) return fail(reply, method, 'no_text');
        const ts = `${seq++}.000100`;
        messages.set(`${channel}|${ts}`, { channel, ts, text, blocks: blocks ?? [], updates: 0 });
        calls.push({ method, status: 200 });
        return { ok: true, channel, ts, message: { text, ts } };
      }
      case 'chat.update': {
        const existing = messages.get(`${channel}|${String(args.ts)}`);
        if (!existing) return fail(reply, method, 'message_not_found');
        existing.text = text;
        existing.blocks = blocks ?? [];
        existing.updates++;
        calls.push({ method, status: 200 });
        return { ok: true, channel, ts: existing.ts, text };
      }
      case 'chat.postEphemeral': {
        if (!channel || typeof args.user !== 'string') return fail(reply, method, 'user_not_in_channel');
        ephemerals.push({ channel, user: args.user, text });
        calls.push({ method, status: 200 });
        return { ok: true, message_ts: `${seq++}.000200` };
      }
      default:
        return fail(reply, method, 'unknown_method');
    }
  });

  app.post('/respond/:id', async (request, reply) => {
    const { id } = request.params as { id: string };
    const uses = (responseUses.get(id) ?? 0) + 1;
    responseUses.set(id, uses);
    if (uses > 5) return reply.code(404).send('used_url');
    const body = (request.body ?? {}) as Record<string, unknown>;
    const blocks = parseBlocks(body.blocks);
    if (blocks === 'invalid' || (blocks && blockProblem(blocks)))
      return reply.code(400).send('invalid_blocks');
    responses.push({ id, body });
    return reply.send('ok');
  });

  const address = await app.listen({ host: '127.0.0.1', port: 0 });
  let responseSeq = 0;
  return {
    apiUrl: `${address}/api/`,
    responseUrl: (id) => `${address}/respond/${id ?? `r${++responseSeq}`}`,
    messages,
    ephemerals,
    responses,
    calls,
    payloads,
    rateLimit: (method, retryAfterSec, count = 1) => limits.set(method, { retryAfterSec, count }),
    message: (channel, ts) => messages.get(`${channel}|${ts}`),
    close: () => app.close(),
  };
}

function parseBlocks(raw: unknown): unknown[] | undefined | 'invalid' {
  if (raw === undefined) return undefined;
  try {
    const parsed = typeof raw === 'string' ? JSON.parse(raw) : raw;
    return Array.isArray(parsed) ? parsed : 'invalid';
  } catch {
    return 'invalid';
  }
}

interface LooseBlock {
  type?: string;
  text?: { type?: string; text: string };
  fields?: Array<{ text: string }>;
  elements?: Array<{ type?: string; action_id?: string; value?: string; text?: { text?: string } }>;
  label?: unknown;
  element?: unknown;
}

/** The Block Kit rules Slack enforces that a mapping bug could break. */
export function blockProblem(blocks: unknown[]): string | undefined {
  if (blocks.length > 50) return 'more than 50 blocks';
  const actionIds = new Set<string>();
  for (const [i, raw] of blocks.entries()) {
    const b = raw as LooseBlock;
    if (!BLOCK_TYPES.has(String(b?.type))) return `block ${i} has unknown type ${String(b?.type)}`;
    if (b.type === 'section') {
      if (!b.text && !b.fields) return `section ${i} without text or fields`;
      if (
        b.text &&
        (typeof b.text.text !== 'string' || b.text.text.length > 3000 || b.text.text.length === 0)
      )
        return `section ${i} text length`;
      if (b.fields && (b.fields.length > 10 || b.fields.some((f) => f.text.length > 2000)))
        return `section ${i} fields`;
    }
    if (b.type === 'header' && (b.text?.type !== 'plain_text' || b.text.text.length > 150))
      return `header ${i}`;
    if (b.type === 'context' && (!Array.isArray(b.elements) || b.elements.length > 10)) return `context ${i}`;
    if (b.type === 'actions') {
      if (!Array.isArray(b.elements) || b.elements.length === 0 || b.elements.length > 25)
        return `actions ${i} size`;
      for (const el of b.elements) {
        if (typeof el.action_id === 'string') {
          if (actionIds.has(el.action_id)) return `duplicate action_id ${el.action_id}`;
          actionIds.add(el.action_id);
        }
        if (el.type === 'button' && (el.text?.text?.length ?? 0) > 75) return 'button text over 75';
        if (el.type === 'button' && typeof el.value === 'string' && el.value.length > 2000)
          return 'button value over 2000';
      }
    }
    if (b.type === 'input' && (!b.label || !b.element)) return `input ${i} without label or element`;
  }
  return undefined;
}
