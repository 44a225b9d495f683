import type { QueryParams, SqlQuery } from '../query-spec.js';

/** The outcome rules every query shares (HTTP status, never ResultType). */
export const KQL_OK = 'Status between (200 .. 299)';
export const KQL_FAILED = 'Status >= 400';
/** Failed requests without the SDK's first, unauthenticated challenge (Authentication + 401). */
export const KQL_FAILURE = 'Status >= 400 and not(OperationName == "Authentication" and Status == 401)';
export const SQL_OK = 'status BETWEEN 200 AND 299';
export const SQL_FAILED = 'status >= 400';
export const SQL_FAILURE = "status >= 400 AND NOT (operation = 'Authentication' AND status = 401)";

/** Up to 20 distinct non-empty values, sorted, comma-separated (same shape as sqlList). */
export function kqlSet(column: string): string {
  return `strcat_array(array_slice(array_sort_asc(make_set_if(${column}, isnotempty(${column}))), 0, 19), ", ")`;
}

/** Sorts (a total order, ties broken by key columns) and takes one more than the cap, to tell that rows were cut. */
export function kqlTop(p: QueryParams, order: string): string {
  return `| sort by ${order}\n| take ${p.limit + 1}`;
}

/** Finishes a SQL query with its ORDER BY and a bound row cap (one more than asked). */
export function sqlWith(text: string, params: Record<string, string | number>, p: QueryParams): SqlQuery {
  params.limit = p.limit + 1;
  return { sql: `${text}\nLIMIT $limit`, params };
}

/** A request URI without its query string (api-version, cache busters) so identical requests group. */
export const KQL_URI_PATH = 'tostring(split(RequestUri, "?")[0])';
export const SQL_URI_PATH = "split_part(request_uri, '?', 1)";
