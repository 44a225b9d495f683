import { kqlDatetime } from '../kql-literal.js';
import { filterOf, type QuerySpec } from '../query-spec.js';
import { type SqlParams, slicesCte, sqlList } from '../sql-source.js';
import { kqlSet, kqlTop, sqlWith } from './shared.js';

/** How far back a principal must be absent to count as new. */
export const NEW_CALLER_BASELINE_MS = 30 * 86_400_000;

/**
 * Principals seen in the period and not in the 30 days before it. The source covers the baseline and the
 * period; a principal is new exactly when its first event in that span falls inside the period.
 */
export const newCallers: QuerySpec = {
  name: 'new-callers',
  summary: 'principals seen in the period and not in the 30 days before',
  usage: 'new-callers <vault> [since]',
  needs: { vault: 'optional', caller: 'none' },
  lookbackMs: NEW_CALLER_BASELINE_MS,
  columns: [
    { name: 'Principal', type: 'string' },
    { name: 'Upn', type: 'string' },
    { name: 'AppId', type: 'string' },
    { name: 'Operations', type: 'number' },
    { name: 'Ips', type: 'string' },
    { name: 'FirstSeen', type: 'datetime' },
    { name: 'LastSeen', type: 'datetime' },
  ],
  totalColumn: 'Operations',
  kqlBody: (p) =>
    [
      'kvAudit',
      `| summarize Operations = count(), Upns = make_set_if(Upn, isnotempty(Upn)), AppIds = make_set_if(AppId, isnotempty(AppId)),`,
      `    Ips = ${kqlSet('CallerIp')}, FirstSeen = min(TimeGenerated), LastSeen = max(TimeGenerated) by Principal`,
      `| where FirstSeen >= ${kqlDatetime(p.range.startMs)}`,
      '| extend Upn = tostring(array_sort_desc(Upns)[0]), AppId = tostring(array_sort_desc(AppIds)[0])',
      '| project Principal, Upn, AppId, Operations, Ips, FirstSeen, LastSeen',
      kqlTop(p, 'FirstSeen desc, Principal asc'),
    ].join('\n'),
  sql: (p) => {
    const params: SqlParams = {};
    const f = filterOf(p, NEW_CALLER_BASELINE_MS);
    const cte = slicesCte(f, params);
    params.periodStart = p.range.startMs;
    return sqlWith(
      `WITH ${cte},
per_ip AS (
  SELECT principal, ip, max(upn) AS upn, max(app_id) AS app_id, sum(cnt) AS ops, min(first_ms) AS first_ms, max(last_ms) AS last_ms
  FROM slices GROUP BY principal, ip
)
SELECT principal AS Principal, max(upn) AS Upn, max(app_id) AS AppId, sum(ops) AS Operations, ${sqlList('ip')} AS Ips,
  min(first_ms) AS FirstSeen, max(last_ms) AS LastSeen
FROM per_ip GROUP BY principal
HAVING min(first_ms) >= $periodStart
ORDER BY FirstSeen DESC, Principal ASC`,
      params,
      p,
    );
  },
};
