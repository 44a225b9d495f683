import { filterOf, type QuerySpec } from '../query-spec.js';
import { type SqlParams, slicesCte, sqlList } from '../sql-source.js';
import { KQL_FAILED, KQL_OK, kqlSet, kqlTop, SQL_FAILED, SQL_OK, sqlWith } from './shared.js';

/** Caller IPs with request counts and the principals behind each. */
export const ips: QuerySpec = {
  name: 'ips',
  summary: 'caller IPs with counts and the principals behind each',
  usage: 'ips <vault> [since]',
  needs: { vault: 'optional', caller: 'none' },
  columns: [
    { name: 'CallerIp', type: 'string' },
    { name: 'Requests', type: 'number' },
    { name: 'Succeeded', type: 'number' },
    { name: 'Failed', type: 'number' },
    { name: 'PrincipalCount', type: 'number' },
    { name: 'Principals', type: 'string' },
    { name: 'FirstSeen', type: 'datetime' },
    { name: 'LastSeen', type: 'datetime' },
  ],
  totalColumn: 'Requests',
  kqlBody: (p) =>
    [
      'kvAudit',
      `| summarize Requests = count(), Succeeded = countif(${KQL_OK}), Failed = countif(${KQL_FAILED}),`,
      `    PrincipalCount = array_length(make_set(Principal)), Principals = ${kqlSet('Principal')},`,
      '    FirstSeen = min(TimeGenerated), LastSeen = max(TimeGenerated) by CallerIp',
      '| project CallerIp, Requests, Succeeded, Failed, PrincipalCount, Principals, FirstSeen, LastSeen',
      kqlTop(p, 'Requests desc, CallerIp asc'),
    ].join('\n'),
  sql: (p) => {
    const params: SqlParams = {};
    return sqlWith(
      `WITH ${slicesCte(filterOf(p), params)},
per_principal AS (
  SELECT ip, principal, sum(cnt) AS requests,
    coalesce(sum(cnt) FILTER (WHERE ${SQL_OK}), 0) AS ok, coalesce(sum(cnt) FILTER (WHERE ${SQL_FAILED}), 0) AS failed,
    min(first_ms) AS first_ms, max(last_ms) AS last_ms
  FROM slices GROUP BY ip, principal
)
SELECT ip AS CallerIp, sum(requests) AS Requests, sum(ok) AS Succeeded, sum(failed) AS Failed,
  count(*) AS PrincipalCount, ${sqlList('principal')} AS Principals, min(first_ms) AS FirstSeen, max(last_ms) AS LastSeen
FROM per_principal GROUP BY ip
ORDER BY Requests DESC, CallerIp ASC`,
      params,
      p,
    );
  },
};
