import { createQueryService } from '../azure/log-analytics/create-query-service.js';
import { registerQueryCommands } from '../queries/commands.js';
import { EventHistory } from '../store/history/event-history.js';
import type { AppFeature } from './features.js';

/**
 * `/kv who|ips|failures|ops|changes|new-callers|caller` and the `query.*` pivot buttons. Accepted events
 * go into the embedded history (same DuckDB file as the store) whenever there is one; the queries run
 * against Log Analytics when `queries.workspaceId` is set, else against that history.
 */
export const queriesFeature: AppFeature = {
  name: 'queries',
  async register(ctx) {
    const { config, clock } = ctx;
    let history: EventHistory | undefined;
    if (ctx.duckdb) {
      history = await EventHistory.open(ctx.duckdb, { retentionMs: config.queries.retention, clock });
      const h = history;
      ctx.pipeline.onAccepted((events) => h.append(events).then(() => undefined));
    }
    if (!config.queries.workspaceId && !history) {
      ctx.logger.warn('queries are off: no queries.workspaceId and no embedded DuckDB history');
      return undefined;
    }
    const service = await createQueryService(config, { clock, ...(history ? { history } : {}) });
    const onAction = registerQueryCommands(ctx.router, { service, directory: ctx.directory });
    ctx.handler.registerActions('query.', onAction);
    return undefined;
  },
};
