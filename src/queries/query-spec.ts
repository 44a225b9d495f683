import type { TimeRange } from './time-range.js';

/** The query names kv-warden knows; stable (chat commands, CLI, pivot buttons). */
export const QUERY_NAMES = ['who', 'ips', 'failures', 'ops', 'changes', 'new-callers', 'caller'] as const;
export type QueryName = (typeof QUERY_NAMES)[number];

/** Which Log Analytics table(s) hold Key Vault audit logs (config `queries.tables`). */
export type TablesMode = 'AzureDiagnostics' | 'AZKVAuditLogs' | 'both';

export type ColumnType = 'string' | 'number' | 'datetime';

export interface OutputColumn {
  readonly name: string;
  readonly type: ColumnType;
}

/** Validated parameters; every string here passed params.ts. */
export interface QueryParams {
  readonly vault?: string;
  /** Lower-case object id, app id or UPN. */
  readonly caller?: string;
  readonly ip?: string;
  readonly range: TimeRange;
  /** Row cap; the renderers ask for one more row to know whether the answer was cut. */
  readonly limit: number;
}

/** Filters applied to the normalized audit source before a query body runs. */
export interface SourceFilter {
  readonly vault?: string;
  readonly caller?: string;
  readonly ip?: string;
  readonly startMs: number;
  readonly endMs: number;
}

/** SQL text plus its bound parameters (DuckDB `$name`). Values never appear in the text. */
export interface SqlQuery {
  readonly sql: string;
  readonly params: Record<string, string | number>;
}

/** One canned query, defined once and rendered for every engine. */
export interface QuerySpec {
  readonly name: QueryName;
  readonly summary: string;
  /** Chat usage after `/kv`. */
  readonly usage: string;
  readonly needs: { readonly vault: 'required' | 'optional'; readonly caller: 'required' | 'none' };
  readonly columns: readonly OutputColumn[];
  /** Column summed for the card's totals line, when the rows are counts. */
  readonly totalColumn?: string;
  /** How much earlier than the period the source must start (new-callers' 30-day baseline). */
  readonly lookbackMs?: number;
  /** KQL body over the normalized source named `kvAudit` (see kql-source.ts). */
  kqlBody(p: QueryParams): string;
  /** SQL over the history tables (see sql-source.ts). */
  sql(p: QueryParams): SqlQuery;
}

/** The source filter for a query's parameters, reaching `lookbackMs` before the period. */
export function filterOf(p: QueryParams, lookbackMs = 0): SourceFilter {
  return {
    ...(p.vault ? { vault: p.vault } : {}),
    ...(p.caller ? { caller: p.caller } : {}),
    ...(p.ip ? { ip: p.ip } : {}),
    startMs: p.range.startMs - lookbackMs,
    endMs: p.range.endMs,
  };
}
