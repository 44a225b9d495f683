import type { TokenCredential } from '@azure/core-auth';
import { LogsQueryClient, LogsQueryResultStatus, type LogsTable } from '@azure/monitor-query-logs';
import { QueryFailedError, UpstreamError } from '../../errors.js';
import type { LogQueryAnswer, LogQueryRequest, LogQueryRunner } from '../../queries/ports.js';

export interface LogsQueryRunnerOptions {
  readonly workspaceId: string;
  readonly credential: TokenCredential;
  /** Query API base including `/v1` (cloudEndpoints(config.azure).logAnalytics). */
  readonly endpoint: string;
  /** Extra CA certificates to trust (tests with a loopback HTTPS fake). */
  readonly ca?: string | Buffer;
  /** Client-side retries of throttled/transient requests before we report them (SDK default 3). */
  readonly maxRetries?: number;
}

/**
 * Runs KQL on a Log Analytics workspace with `@azure/monitor-query-logs` (LogsQueryClient; the older
 * `@azure/monitor-query` package is deprecated in its favour). The token scope follows the endpoint, so
 * sovereign clouds and overrides work. Service errors become coded errors with a sentence a user can act on.
 */
export class LogsQueryRunner implements LogQueryRunner {
  private readonly client: LogsQueryClient;

  constructor(private readonly options: LogsQueryRunnerOptions) {
    const endpoint = options.endpoint.replace(/\/$/, '');
    this.client = new LogsQueryClient(options.credential, {
      endpoint,
      credentials: { scopes: [`${new URL(endpoint).origin}/.default`] },
      retryOptions: { maxRetries: options.maxRetries ?? 2 },
      ...(options.ca ? { tlsOptions: { ca: options.ca } } : {}),
    });
  }

  async query(request: LogQueryRequest): Promise<LogQueryAnswer> {
    let result: Awaited<ReturnType<LogsQueryClient['queryWorkspace']>>;
    try {
      result = await this.client.queryWorkspace(
        this.options.workspaceId,
        request.kql,
        { startTime: new Date(request.startMs), endTime: new Date(request.endMs) },
        { serverTimeoutInSeconds: Math.max(1, Math.ceil(request.timeoutMs / 1000)) },
      );
    } catch (err) {
      throw this.explain(err, request);
    }
    if (result.status === LogsQueryResultStatus.Success) return { rows: rowsOf(result.tables[0]) };
    const e = result.partialError as { code?: string; message?: string } | undefined;
    return {
      rows: rowsOf(result.partialTables[0]),
      partialError: [e?.code, e?.message].filter(Boolean).join(': ') || 'unknown error',
    };
  }

  private explain(err: unknown, request: LogQueryRequest): Error {
    const e = err as {
      statusCode?: number;
      message?: string;
      response?: { headers?: { get(n: string): string | undefined } };
      details?: { error?: { code?: string; message?: string } };
    };
    const status = e.statusCode;
    const ws = this.options.workspaceId;
    const detail = e.details?.error?.message ?? e.message ?? String(err);
    if (status === 429) {
      const retryAfterMs = retryAfter(e.response?.headers?.get('retry-after'));
      const wait = retryAfterMs !== undefined ? ` in ${Math.ceil(retryAfterMs / 1000)} s` : ' in a minute';
      return new UpstreamError(`Log Analytics is throttling queries (HTTP 429). Try again${wait}.`, {
        cause: err,
        throttled: true,
        ...(retryAfterMs !== undefined ? { retryAfterMs } : {}),
      });
    }
    if (status === 401 || status === 403)
      return new QueryFailedError(`Log Analytics refused the query (HTTP ${status}): ${detail}`, {
        cause: err,
        userMessage: `Log Analytics refused the query (HTTP ${status}). kv-warden's identity needs the Log Analytics Reader role (Microsoft.OperationalInsights/workspaces/query/read) on workspace ${ws}.`,
      });
    if (status === 400)
      return new QueryFailedError(`Log Analytics rejected the query (HTTP 400): ${detail}`, {
        cause: err,
        userMessage: `Log Analytics rejected the query: ${detail.slice(0, 300)}`,
      });
    if (status === 504 || status === 408)
      return new QueryFailedError(`Log Analytics timed out (HTTP ${status}) after ${request.timeoutMs} ms`, {
        cause: err,
        userMessage: `The query took longer than ${Math.round(request.timeoutMs / 1000)} s in Log Analytics; try a shorter period.`,
      });
    return new UpstreamError(
      `Log Analytics could not be reached or failed${status ? ` (HTTP ${status})` : ''}: ${detail}`,
      {
        cause: err,
        transient: status === undefined || status >= 500,
      },
    );
  }
}

function retryAfter(header: string | undefined): number | undefined {
  if (!header) return undefined;
  const seconds = Number(header);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const at = Date.parse(header);
  return Number.isFinite(at) ? Math.max(0, at - Date.now()) : undefined;
}

function rowsOf(table: LogsTable | undefined): Record<string, unknown>[] {
  if (!table) return [];
  const names = table.columnDescriptors.map((c) => c.name ?? '');
  return table.rows.map((row) => Object.fromEntries(names.map((n, i) => [n, row[i]])));
}
