/**
 * The two engines a canned query can run on, as ports. Adapters: src/azure/log-analytics (KQL on
 * Log Analytics) and src/store/history (SQL on the embedded DuckDB history).
 */

export interface LogQueryRequest {
  readonly kql: string;
  /** Also sent as the API's `timespan`, so the service bounds the scan even if the text did not. */
  readonly startMs: number;
  readonly endMs: number;
  readonly timeoutMs: number;
}

export interface LogQueryAnswer {
  /** Rows of the primary table as objects keyed by column name. */
  readonly rows: readonly Record<string, unknown>[];
  /** Set when Log Analytics returned only part of the answer (PartialFailure). */
  readonly partialError?: string;
}

/** Runs KQL against a Log Analytics workspace. Throws UpstreamError (429 throttled, 403 permission, …). */
export interface LogQueryRunner {
  query(request: LogQueryRequest): Promise<LogQueryAnswer>;
}

/** Runs read-only SQL with bound parameters over the local event history. */
export interface HistorySql {
  all(sql: string, params: Record<string, string | number>): Promise<Record<string, unknown>[]>;
}
