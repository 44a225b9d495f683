import type { OutputColumn, QueryName, TablesMode } from './query-spec.js';
import type { TimeRange } from './time-range.js';

export type Cell = string | number;

/** A canned query's answer, the same shape from either engine. */
export interface QueryResult {
  readonly name: QueryName;
  readonly engine: 'log-analytics' | 'embedded';
  readonly columns: readonly OutputColumn[];
  readonly rows: readonly Record<string, Cell>[];
  /** More rows matched than the cap. */
  readonly truncated: boolean;
  readonly range: TimeRange;
  readonly vault?: string;
  readonly caller?: string;
  readonly ip?: string;
  /** The KQL that ran (Log Analytics), for links and `--print`. */
  readonly kql?: string;
  readonly tables?: TablesMode;
  /** Partial results, data-lag caveats. */
  readonly warnings: readonly string[];
}

/**
 * Brings engine values to one representation: datetimes as ISO-8601 UTC strings with milliseconds
 * (Log Analytics gives Date objects, DuckDB epoch-ms BIGINTs), numbers as numbers, strings as strings
 * ('' for null), so both engines' answers compare equal.
 */
export function normalizeRow(
  columns: readonly OutputColumn[],
  row: Record<string, unknown>,
): Record<string, Cell> {
  const out: Record<string, Cell> = {};
  for (const c of columns) out[c.name] = normalizeCell(c.type, row[c.name]);
  return out;
}

function normalizeCell(type: OutputColumn['type'], v: unknown): Cell {
  if (v === null || v === undefined) return type === 'number' ? 0 : '';
  switch (type) {
    case 'number':
      return typeof v === 'bigint' ? Number(v) : Number(v);
    case 'datetime': {
      const ms = v instanceof Date ? v.getTime() : typeof v === 'string' ? Date.parse(v) : Number(v);
      return Number.isFinite(ms) ? new Date(ms).toISOString() : '';
    }
    default:
      return String(v);
  }
}
