import type { FastifyInstance } from 'fastify';
import type { Metrics } from '../util/metrics.js';

export interface Readiness {
  /** Names of the things that are not ready yet; empty when ready. */
  notReady(): Promise<string[]>;
}

/** `/healthz` (the process answers), `/readyz` (store open, sources connected), `/metrics` (Prometheus). */
export function registerHealthRoutes(
  app: FastifyInstance,
  deps: { readiness: Readiness; metrics: Metrics; beforeScrape?: () => Promise<void> },
): void {
  app.get('/healthz', async () => ({ status: 'ok' }));
  app.get('/readyz', async (_request, reply) => {
    const waiting = await deps.readiness.notReady();
    if (waiting.length > 0) return reply.code(503).send({ status: 'not ready', waiting });
    return { status: 'ready' };
  });
  app.get('/metrics', async (_request, reply) => {
    await deps.beforeScrape?.().catch(() => undefined);
    const text = await deps.metrics.registry.metrics();
    return reply.header('content-type', deps.metrics.registry.contentType).send(text);
  });
}
