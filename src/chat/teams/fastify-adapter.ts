import type { HttpRouteHandler, IHttpServerAdapter } from '@microsoft/teams.apps';
import type { FastifyInstance } from 'fastify';

/**
 * Lets the Teams SDK's HttpServer (JWT validation, activity routing, invoke responses) run on
 * kv-warden's own fastify server instead of the Express server the SDK would start. The SDK
 * registers its routes during `app.initialize()`, which runs inside a fastify plugin so the
 * routes exist before the server listens. The app engineer's server owns start/stop.
 */
export class FastifyTeamsAdapter implements IHttpServerAdapter {
  constructor(private readonly fastify: FastifyInstance) {}

  registerRoute(method: 'POST', path: string, handler: HttpRouteHandler): void {
    this.fastify.route({
      method,
      url: path,
      handler: async (request, reply) => {
        const headers: Record<string, string | string[]> = {};
        for (const [k, v] of Object.entries(request.headers)) if (v !== undefined) headers[k] = v;
        const res = await handler({ body: request.body, headers });
        reply.code(res.status);
        return res.body === undefined ? reply.send() : reply.send(res.body);
      },
    });
  }
}
