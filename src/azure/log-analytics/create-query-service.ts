import type { TokenCredential } from '@azure/core-auth';
import type { Config } from '../../config/load.js';
import { NotAvailableError } from '../../errors.js';
import type { HistorySql } from '../../queries/ports.js';
import { QueryService } from '../../queries/query-service.js';
import type { Clock } from '../../util/clock.js';
import { cloudEndpoints } from '../cloud-endpoints.js';
import { defaultCredential } from '../credential.js';
import { LogsQueryRunner } from './logs-query-runner.js';

export interface QueryServiceDeps {
  readonly clock: Clock;
  /** The embedded history (EventHistory); required when no workspace is configured. */
  readonly history?: HistorySql;
  /** Defaults to DefaultAzureCredential for the configured cloud. */
  readonly credential?: TokenCredential;
  /** Extra CA to trust (tests). */
  readonly ca?: string | Buffer;
}

/**
 * The query service for a configuration: Log Analytics when `queries.workspaceId` is set (endpoint from
 * `azure.cloud` / `azure.endpoints.logAnalytics`), else SQL over the embedded history.
 */
export async function createQueryService(config: Config, deps: QueryServiceDeps): Promise<QueryService> {
  const q = config.queries;
  const common = { clock: deps.clock, tables: q.tables, maxRows: q.maxRows, timeoutMs: q.timeout };
  if (q.workspaceId) {
    const endpoints = cloudEndpoints(config.azure);
    const runner = new LogsQueryRunner({
      workspaceId: q.workspaceId,
      credential: deps.credential ?? (await defaultCredential(endpoints)),
      endpoint: endpoints.logAnalytics,
      ...(deps.ca ? { ca: deps.ca } : {}),
    });
    return new QueryService({ ...common, engine: { kind: 'log-analytics', runner } });
  }
  if (!deps.history)
    throw new NotAvailableError(
      'queries',
      'no Log Analytics workspace (queries.workspaceId) and no embedded history (store.duckdb) is configured',
    );
  return new QueryService({ ...common, engine: { kind: 'embedded', history: deps.history } });
}
