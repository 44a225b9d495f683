import { request as httpRequest } from 'node:http';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import type {
  ActionOutcome,
  ChatActor,
  ChatHandler,
  CommandReply,
  InboundAction,
} from '../../src/chat/chat-surface.js';
import { registerConsoleRoutes } from '../../src/chat/console/console-routes.js';
import { ConsoleSurface } from '../../src/chat/console/console-surface.js';
import { Directory } from '../../src/config/directory.js';
import { MemoryStore } from '../../src/store/memory-store.js';
import { silentLogger } from '../../src/util/logger.js';

const TOKEN = 'test-token-0123456789abcdefghijklmnopqrstuv';

const directory = new Directory({
  people: { alice: {}, mallory: {} },
  roles: { viewer: [], responder: ['alice'], requester: [], approver: [] },
  vaults: {},
} as never);

/** A handler that applies the real rule the console relies on: only a responder may act. */
class RespondersOnlyHandler implements ChatHandler {
  readonly seen: Array<{ actor: ChatActor; action: InboundAction }> = [];
  async handleAction(actor: ChatActor, action: InboundAction): Promise<ActionOutcome> {
    this.seen.push({ actor, action });
    const person = directory.find(actor);
    if (!person || !directory.hasRole(person, 'responder'))
      return { notice: 'You are not authorised to acknowledge alerts.' };
    return { notice: `done: ${action.verb}` };
  }
  async handleCommand(actor: ChatActor, text: string): Promise<CommandReply> {
    return { text: `${actor.userId} ran ${text}`, ephemeral: true };
  }
}

let app: FastifyInstance | undefined;
afterEach(async () => {
  await app?.close();
  app = undefined;
});

async function start(store = new MemoryStore()) {
  const surface = new ConsoleSurface(store);
  await surface.start();
  const handler = new RespondersOnlyHandler();
  app = Fastify();
  await registerConsoleRoutes(app, {
    surface,
    handler,
    directory,
    token: TOKEN,
    logger: silentLogger,
    heartbeatMs: 50,
  });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return { surface, handler, store, base: `http://127.0.0.1:${port}` };
}

const cookie = `kvw_console=${TOKEN}`;

describe('console routes', () => {
  it('refuses the page without a token and with a wrong one', async () => {
    const { base } = await start();
    expect((await fetch(`${base}/`)).status).toBe(401);
    expect((await fetch(`${base}/?token=nope`, { redirect: 'manual' })).status).toBe(403);
    expect((await fetch(`${base}/console/people`, { headers: { cookie: 'kvw_console=wrong' } })).status).toBe(
      403,
    );
    expect((await fetch(`${base}/console/people`)).status).toBe(401);
  });

  it('trades the query token for an HttpOnly SameSite=Strict cookie that then opens every route', async () => {
    const { base } = await start();
    const first = await fetch(`${base}/?token=${TOKEN}`, { redirect: 'manual' });
    expect(first.status).toBe(303);
    expect(first.headers.get('location')).toBe('/');
    const setCookie = first.headers.get('set-cookie') ?? '';
    expect(setCookie).toContain(`kvw_console=${TOKEN}`);
    expect(setCookie).toContain('HttpOnly');
    expect(setCookie).toContain('SameSite=Strict');
    const page = await fetch(`${base}/`, { headers: { cookie } });
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('/console/console.js');
    const renderer = await fetch(`${base}/console/adaptivecards.js`, { headers: { cookie } });
    expect(await renderer.text()).toContain('AdaptiveCards');
    const people = (await (await fetch(`${base}/console/people`, { headers: { cookie } })).json()) as {
      people: Array<{ name: string; roles: string[] }>;
    };
    expect(people.people).toEqual([
      { name: 'alice', displayName: 'alice', roles: ['responder'] },
      { name: 'mallory', displayName: 'mallory', roles: [] },
    ]);
  });

  it('refuses a request whose Host is not loopback (DNS rebinding)', async () => {
    const { base } = await start();
    const port = new URL(base).port;
    const status = await new Promise<number>((resolve, reject) => {
      const req = httpRequest(
        {
          host: '127.0.0.1',
          port,
          path: '/console/people',
          headers: { host: `evil.example:${port}`, cookie },
        },
        (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        },
      );
      req.on('error', reject);
      req.end();
    });
    expect(status).toBe(403);
  });

  it('refuses a cross-site POST even with the cookie', async () => {
    const { base } = await start();
    const res = await fetch(`${base}/console/command`, {
      method: 'POST',
      headers: { cookie, 'content-type': 'application/json', origin: 'https://evil.example' },
      body: JSON.stringify({ user: 'alice', text: 'help' }),
    });
    expect(res.status).toBe(403);
  });

  it('delivers posted and updated cards over server-sent events, after the ones already posted', async () => {
    const { base, surface } = await start();
    const card = {
      type: 'AdaptiveCard',
      version: '1.5',
      body: [{ type: 'TextBlock', text: 'rule firewall-opened' }],
    } as const;
    await surface.postCard('security', { card, text: 'earlier' });
    const controller = new AbortController();
    const res = await fetch(`${base}/console/events`, { headers: { cookie }, signal: controller.signal });
    expect(res.headers.get('content-type')).toContain('text/event-stream');
    const reader = res.body!.getReader();
    const decoder = new TextDecoder();
    let buffer = '';
    const nextEvent = async (): Promise<{ event: string; data: unknown }> => {
      for (;;) {
        const end = buffer.indexOf('\n\n');
        if (end >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const name = /^event: (.*)$/m.exec(block)?.[1];
          const data = /^data: (.*)$/m.exec(block)?.[1];
          if (name && data) return { event: name, data: JSON.parse(data) };
          continue;
        }
        const { value, done } = await reader.read();
        if (done) throw new Error('stream ended');
        buffer += decoder.decode(value, { stream: true });
      }
    };
    const snapshot = await nextEvent();
    expect(snapshot.event).toBe('post');
    expect((snapshot.data as { message: { text: string } }).message.text).toBe('earlier');
    const location = await surface.postCard('security', { card, text: 'live one' });
    const live = (await nextEvent()).data as { message: { id: string; text: string; card: unknown } };
    expect(live.message.text).toBe('live one');
    expect(live.message.card).toEqual(card);
    await surface.updateCard(location, { card, text: 'acknowledged by alice' });
    const updated = (await nextEvent()).data as { message: { id: string; text: string } };
    expect(updated.message).toMatchObject({ id: location.messageId, text: 'acknowledged by alice' });
    controller.abort();
  });

  it('hands a click to the ChatHandler as the selected person and returns its notice', async () => {
    const { base, handler } = await start();
    const click = async (user: string) =>
      (await (
        await fetch(`${base}/console/action`, {
          method: 'POST',
          headers: { cookie, 'content-type': 'application/json' },
          body: JSON.stringify({
            user,
            verb: 'alert.acknowledge',
            data: { alertId: 'a1' },
            inputs: { comment: 'on it' },
          }),
        })
      ).json()) as { notice: string };
    expect((await click('alice')).notice).toBe('done: alert.acknowledge');
    expect((await click('mallory')).notice).toContain('not authorised');
    expect(handler.seen[0]).toEqual({
      actor: { surface: 'console', userId: 'alice' },
      action: { verb: 'alert.acknowledge', data: { alertId: 'a1' }, inputs: { comment: 'on it' } },
    });
  });

  it('rejects a click without a verb', async () => {
    const { base, handler } = await start();
    const res = await fetch(`${base}/console/action`, {
      method: 'POST',
      headers: { cookie, 'content-type': 'application/json' },
      body: JSON.stringify({ user: 'alice', data: {} }),
    });
    expect(res.status).toBe(400);
    expect(handler.seen).toHaveLength(0);
  });

  it('runs a /kv command as the selected person', async () => {
    const { base } = await start();
    const res = await fetch(`${base}/console/command`, {
      method: 'POST',
      headers: { cookie, 'content-type': 'application/json' },
      body: JSON.stringify({ user: 'alice', text: '/kv help' }),
    });
    expect(await res.json()).toEqual({ text: 'alice ran /kv help', card: null, ephemeral: true });
  });

  it('keeps messages in the store so a restarted console shows them again', async () => {
    const store = new MemoryStore();
    const first = new ConsoleSurface(store);
    await first.start();
    const card = { type: 'AdaptiveCard', version: '1.5', body: [] } as const;
    const loc = await first.postCard('security', { card, text: 'one' });
    await first.updateCard(loc, { card, text: 'one, acknowledged' });
    await first.postText('security', 'escalated to on-call');
    const second = new ConsoleSurface(store);
    await second.start();
    expect(second.list().map((m) => m.text)).toEqual(['one, acknowledged', 'escalated to on-call']);
    const next = await second.postCard('security', { card, text: 'two' });
    expect(next.messageId > loc.messageId).toBe(true);
  });
});
