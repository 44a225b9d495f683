import type { SourceFilter } from './query-spec.js';

/**
 * The embedded history as the SQL queries see it (tables created by src/store/history):
 * - `kvw_events`: one row per audit event (time_ms, vault, operation, status, principal, object_id, upn,
 *   app_id, ip, request_uri, network_default_action, added/removed_ip_rule, added/removed_policy, …).
 *   Missing strings are '' and a missing HTTP status is 0, as in the normalized KQL source.
 * - `kvw_rollup`: the same events counted per UTC hour and (vault, principal, object_id, upn, app_id, ip,
 *   operation, status), with first_ms/last_ms. Whole hours are answered from it; the partial hours at
 *   either end of a period come from kvw_events, so answers are exact while `who` over a day of 10 M events
 *   reads a few thousand rollup rows instead of every event.
 * Every value is a bound `$name` parameter; the text only varies by which filters are present. The two edge
 * ranges are separate branches (not one OR) so DuckDB pushes each range into the scan and skips row groups.
 */
export const EVENTS_TABLE = 'kvw_events';
export const ROLLUP_TABLE = 'kvw_rollup';
export const HOUR_MS = 3_600_000;

export type SqlParams = Record<string, string | number>;

/** WHERE fragments for the entity filters present, on columns both tables share. */
function entityWhere(f: SourceFilter, params: SqlParams): string {
  const parts: string[] = [];
  if (f.vault) {
    params.vault = f.vault;
    parts.push('vault = $vault');
  }
  if (f.caller) {
    params.caller = f.caller;
    parts.push('(object_id = $caller OR app_id = $caller OR upn = $caller)');
  }
  if (f.ip) {
    params.ip = f.ip;
    parts.push('ip = $ip');
  }
  return parts.map((p) => ` AND ${p}`).join('');
}

/**
 * `slices` CTE: per-group counts over [startMs, endMs) from the rollup (whole hours) and raw events (edges).
 * Columns: vault, principal, object_id, upn, app_id, ip, operation, status, cnt, first_ms, last_ms.
 */
export function slicesCte(f: SourceFilter, params: SqlParams): string {
  let fullStart = Math.ceil(f.startMs / HOUR_MS) * HOUR_MS;
  let fullEnd = Math.floor(f.endMs / HOUR_MS) * HOUR_MS;
  if (fullStart >= fullEnd) fullStart = fullEnd = f.startMs;
  Object.assign(params, { start: f.startMs, end: f.endMs, fullStart, fullEnd });
  const where = entityWhere(f, params);
  const cols = 'vault, principal, object_id, upn, app_id, ip, operation, status';
  return `slices AS (
  SELECT ${cols}, cnt, first_ms, last_ms FROM ${ROLLUP_TABLE}
  WHERE hour_ms >= $fullStart AND hour_ms < $fullEnd${where}
  UNION ALL
  SELECT ${cols}, 1 AS cnt, time_ms AS first_ms, time_ms AS last_ms FROM ${EVENTS_TABLE}
  WHERE time_ms >= $start AND time_ms < $fullStart${where}
  UNION ALL
  SELECT ${cols}, 1 AS cnt, time_ms AS first_ms, time_ms AS last_ms FROM ${EVENTS_TABLE}
  WHERE time_ms >= $fullEnd AND time_ms < $end${where}
)`;
}

/** WHERE clause (without the keyword) over raw events for the period and entity filters. */
export function eventsWhere(f: SourceFilter, params: SqlParams): string {
  Object.assign(params, { start: f.startMs, end: f.endMs });
  return `time_ms >= $start AND time_ms < $end${entityWhere(f, params)}`;
}

/**
 * "Up to 20 values, sorted, comma-separated" over a column that is already distinct within the group (the
 * queries aggregate in two levels — first by key and value, then by key — because a DISTINCT aggregate next
 * to other aggregates is several times slower in DuckDB). The KQL bodies use the same shape.
 */
export function sqlList(column: string): string {
  return `array_to_string(list_sort(list(${column}) FILTER (WHERE ${column} <> ''))[1:20], ', ')`;
}
