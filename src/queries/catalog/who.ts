import { filterOf, type QuerySpec } from '../query-spec.js';
import { type SqlParams, slicesCte, sqlList } from '../sql-source.js';
import { KQL_FAILED, KQL_OK, kqlSet, kqlTop, SQL_FAILED, SQL_OK, sqlWith } from './shared.js';

/** Principals (object id, else app id, UPN, IP) that touched the vault in the period. */
export const who: QuerySpec = {
  name: 'who',
  summary: 'who touched a vault: operations, successes, failures, IPs, first and last seen',
  usage: 'who <vault> [since]',
  needs: { vault: 'optional', caller: 'none' },
  columns: [
    { name: 'Principal', type: 'string' },
    { name: 'Upn', type: 'string' },
    { name: 'AppId', type: 'string' },
    { name: 'Operations', type: 'number' },
    { name: 'Succeeded', type: 'number' },
    { name: 'Failed', type: 'number' },
    { name: 'Ips', type: 'string' },
    { name: 'FirstSeen', type: 'datetime' },
    { name: 'LastSeen', type: 'datetime' },
  ],
  totalColumn: 'Operations',
  kqlBody: (p) =>
    [
      'kvAudit',
      `| summarize Operations = count(), Succeeded = countif(${KQL_OK}), Failed = countif(${KQL_FAILED}),`,
      `    Upns = make_set_if(Upn, isnotempty(Upn)), AppIds = make_set_if(AppId, isnotempty(AppId)),`,
      `    Ips = ${kqlSet('CallerIp')}, FirstSeen = min(TimeGenerated), LastSeen = max(TimeGenerated) by Principal`,
      '| extend Upn = tostring(array_sort_desc(Upns)[0]), AppId = tostring(array_sort_desc(AppIds)[0])',
      '| project Principal, Upn, AppId, Operations, Succeeded, Failed, Ips, FirstSeen, LastSeen',
      kqlTop(p, 'Operations desc, Principal asc'),
    ].join('\n'),
  sql: (p) => {
    const params: SqlParams = {};
    const f = filterOf(p);
    return sqlWith(
      `WITH ${slicesCte(f, params)},
per_ip AS (
  SELECT principal, ip, max(upn) AS upn, max(app_id) AS app_id, sum(cnt) AS ops,
    coalesce(sum(cnt) FILTER (WHERE ${SQL_OK}), 0) AS ok, coalesce(sum(cnt) FILTER (WHERE ${SQL_FAILED}), 0) AS failed,
    min(first_ms) AS first_ms, max(last_ms) AS last_ms
  FROM slices GROUP BY principal, ip
)
SELECT principal AS Principal, max(upn) AS Upn, max(app_id) AS AppId, sum(ops) AS Operations,
  sum(ok) AS Succeeded, sum(failed) AS Failed, ${sqlList('ip')} AS Ips, min(first_ms) AS FirstSeen, max(last_ms) AS LastSeen
FROM per_ip GROUP BY principal
ORDER BY Operations DESC, Principal ASC`,
      params,
      p,
    );
  },
};
