import { filterOf, type QuerySpec } from '../query-spec.js';
import { type SqlParams, slicesCte, sqlList } from '../sql-source.js';
import { kqlSet, kqlTop, sqlWith } from './shared.js';

/** Everything one principal (object id, app id or UPN) did, across vaults, in the period. */
export const caller: QuerySpec = {
  name: 'caller',
  summary: 'everything one principal (object id, app id or UPN) did across vaults',
  usage: 'caller <object-id|app-id|upn> [vault] [since]',
  needs: { vault: 'optional', caller: 'required' },
  columns: [
    { name: 'Vault', type: 'string' },
    { name: 'OperationName', type: 'string' },
    { name: 'Status', type: 'number' },
    { name: 'Count', type: 'number' },
    { name: 'Ips', type: 'string' },
    { name: 'FirstSeen', type: 'datetime' },
    { name: 'LastSeen', type: 'datetime' },
  ],
  totalColumn: 'Count',
  kqlBody: (p) =>
    [
      'kvAudit',
      `| summarize Count = count(), Ips = ${kqlSet('CallerIp')}, FirstSeen = min(TimeGenerated), LastSeen = max(TimeGenerated) by Vault, OperationName, Status`,
      '| project Vault, OperationName, Status, Count, Ips, FirstSeen, LastSeen',
      kqlTop(p, 'LastSeen desc, Vault asc, OperationName asc, Status asc'),
    ].join('\n'),
  sql: (p) => {
    const params: SqlParams = {};
    return sqlWith(
      `WITH ${slicesCte(filterOf(p), params)},
per_ip AS (
  SELECT vault, operation, status, ip, sum(cnt) AS cnt, min(first_ms) AS first_ms, max(last_ms) AS last_ms
  FROM slices GROUP BY vault, operation, status, ip
)
SELECT vault AS Vault, operation AS OperationName, status AS Status, sum(cnt) AS Count, ${sqlList('ip')} AS Ips,
  min(first_ms) AS FirstSeen, max(last_ms) AS LastSeen
FROM per_ip GROUP BY vault, operation, status
ORDER BY LastSeen DESC, Vault ASC, OperationName ASC, Status ASC`,
      params,
      p,
    );
  },
};
