import type { AppFeature } from '../../app/features.js';
import { cloudEndpoints } from '../../azure/cloud-endpoints.js';
import { createQueryService } from '../../azure/log-analytics/create-query-service.js';
import { registerQueryCommands } from '../../queries/commands.js';
import { EventHistory } from './event-history.js';

const PRUNE_EVERY_MS = 3_600_000;

/**
 * The queries feature for the composition root: keeps the embedded event history (appended from the
 * intake pipeline's onAccepted hook, pruned to `queries.retention` hourly), and registers the `/kv` query
 * commands and the `query.*` card actions on Log Analytics (when `queries.workspaceId` is set) or on the
 * history, and turns on the alert cards' pivot buttons. Add it to DEFAULT_FEATURES.
 */
export const queriesFeature: AppFeature = {
  name: 'queries',
  async register(ctx) {
    const { config, logger } = ctx;
    let history: EventHistory | undefined;
    if (ctx.duckdb) {
      const h = await EventHistory.open(ctx.duckdb, {
        retentionMs: config.queries.retention,
        clock: ctx.clock,
      });
      history = h;
      ctx.pipeline.onAccepted(async (events) => {
        // History is a convenience for queries: its failure must not hold back detection and alerts.
        try {
          await h.append(events);
        } catch (err) {
          logger.warn({ err, events: events.length }, 'could not append events to the query history');
        }
      });
    }
    if (!config.queries.workspaceId && !history) {
      logger.warn('queries: no queries.workspaceId and no DuckDB store; /kv queries are not available');
      return undefined;
    }
    const service = await createQueryService(config, { clock: ctx.clock, ...(history ? { history } : {}) });
    const portalUrl = cloudEndpoints(config.azure).portal;
    const workspaceResourceId = config.queries.workspaceResourceId;
    const handleAction = registerQueryCommands(ctx.router, {
      service,
      directory: ctx.directory,
      ...(workspaceResourceId ? { portal: { portalUrl, workspaceResourceId } } : {}),
    });
    ctx.handler.registerActions('query', handleAction);
    // Queries can run, so alert cards offer them for their entities (pivot buttons, `query.run`).
    ctx.alerts.enablePivots();
    let timer: NodeJS.Timeout | undefined;
    const prune = async () => {
      try {
        const removed = await history?.prune();
        if (removed) logger.info({ removed }, 'pruned query history');
      } catch (err) {
        logger.warn({ err }, 'query history pruning failed');
      }
    };
    return {
      async start() {
        if (!history) return;
        await prune();
        timer = setInterval(prune, PRUNE_EVERY_MS);
        timer.unref();
      },
      async stop() {
        if (timer) clearInterval(timer);
      },
    };
  },
};
