import Fastify, { type FastifyReply, type FastifyRequest } from 'fastify';

/**
 * A fake Bot Framework connector (the `serviceUrl` Teams gives a bot) on 127.0.0.1. It records
 * `POST /v3/conversations/{id}/activities` (new posts), replies to an activity, and
 * `PUT /v3/conversations/{id}/activities/{activityId}` (edits, which need an existing activity),
 * checks the bearer token when given one, and answers 429 with Retry-After on demand.
 */
export interface ConnectorActivity {
  conversationId: string;
  id: string;
  activity: Record<string, unknown>;
  /** How many times it was replaced with PUT. */
  updates: number;
  replyToId?: string;
}

export interface FakeBotConnector {
  /** Service URL to put in activities (no trailing slash). */
  readonly serviceUrl: string;
  readonly activities: ConnectorActivity[];
  readonly requests: Array<{ method: string; path: string; status: number }>;
  /** Every request body received, as JSON text (for scans of what the bot sent). */
  readonly payloads: string[];
  find(conversationId: string, id: string): ConnectorActivity | undefined;
  /** The next `count` requests answer 429 with Retry-After: `seconds`. */
  rateLimit(seconds: number, count?: number): void;
  close(): Promise<void>;
}

export async function startFakeBotConnector(options: { token?: string } = {}): Promise<FakeBotConnector> {
  const app = Fastify({ logger: false });
  const activities: ConnectorActivity[] = [];
  const requests: FakeBotConnector['requests'] = [];
  let throttle: { seconds: number; count: number } | undefined;
  const payloads: string[] = [];
  let seq = 0;
  app.addHook('preHandler', async (request) => {
    payloads.push(JSON.stringify(request.body ?? null));
  });

  const gate = (request: FastifyRequest, reply: FastifyReply): boolean => {
    const path = request.url;
    if (throttle && throttle.count > 0) {
      throttle.count--;
      requests.push({ method: request.method, path, status: 429 });
      reply
        .code(429)
        .header('retry-after', String(throttle.seconds))
        .send({ error: { code: 'TooManyRequests' } });
      return false;
    }
    if (options.token !== undefined && request.headers.authorization !== `Bearer ${options.token}`) {
      requests.push({ method: request.method, path, status: 401 });
      reply.code(401).send({ error: { code: 'Unauthorized', message: 'bearer token required' } });
      return false;
    }
    return true;
  };

  const isMessage = (body: unknown): body is Record<string, unknown> =>
    typeof body === 'object' && body !== null && (body as { type?: unknown }).type === 'message';

  app.post('/v3/conversations/:conversationId/activities', async (request, reply) => {
    if (!gate(request, reply)) return reply;
    const { conversationId } = request.params as { conversationId: string };
    if (!isMessage(request.body)) return reply.code(400).send({ error: { code: 'BadArgument' } });
    const id = `act-${++seq}`;
    activities.push({ conversationId, id, activity: request.body, updates: 0 });
    requests.push({ method: 'POST', path: request.url, status: 201 });
    return reply.code(201).send({ id });
  });

  app.post('/v3/conversations/:conversationId/activities/:activityId', async (request, reply) => {
    if (!gate(request, reply)) return reply;
    const { conversationId, activityId } = request.params as { conversationId: string; activityId: string };
    if (!isMessage(request.body)) return reply.code(400).send({ error: { code: 'BadArgument' } });
    const id = `act-${++seq}`;
    activities.push({ conversationId, id, activity: request.body, updates: 0, replyToId: activityId });
    requests.push({ method: 'POST', path: request.url, status: 201 });
    return reply.code(201).send({ id });
  });

  app.put('/v3/conversations/:conversationId/activities/:activityId', async (request, reply) => {
    if (!gate(request, reply)) return reply;
    const { conversationId, activityId } = request.params as { conversationId: string; activityId: string };
    const existing = activities.find((a) => a.conversationId === conversationId && a.id === activityId);
    if (!existing) {
      requests.push({ method: 'PUT', path: request.url, status: 404 });
      return reply.code(404).send({ error: { code: 'ActivityNotFound', message: 'unknown activity' } });
    }
    if (!isMessage(request.body)) return reply.code(400).send({ error: { code: 'BadArgument' } });
    existing.activity = request.body;
    existing.updates++;
    requests.push({ method: 'PUT', path: request.url, status: 200 });
    return reply.send({ id: activityId });
  });

  const address = await app.listen({ host: '127.0.0.1', port: 0 });
  return {
    serviceUrl: address,
    activities,
    requests,
    payloads,
    find: (conversationId, id) => activities.find((a) => a.conversationId === conversationId && a.id === id),
    rateLimit: (seconds, count = 1) => {
      throttle = { seconds, count };
    },
    close: () => app.close(),
  };
}
