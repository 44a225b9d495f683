import { filterOf, type QuerySpec } from '../query-spec.js';
import { EVENTS_TABLE, eventsWhere, type SqlParams, sqlList } from '../sql-source.js';
import { KQL_FAILURE, KQL_URI_PATH, kqlSet, kqlTop, SQL_FAILURE, SQL_URI_PATH, sqlWith } from './shared.js';

/** Failed requests (HTTP ≥ 400, without the 401 Authentication challenge) by operation, status and URI. */
export const failures: QuerySpec = {
  name: 'failures',
  summary:
    'failed requests (HTTP status 400 and up, not the 401 sign-in challenge) by operation, status, URI',
  usage: 'failures <vault> [since]',
  needs: { vault: 'optional', caller: 'none' },
  columns: [
    { name: 'OperationName', type: 'string' },
    { name: 'Status', type: 'number' },
    { name: 'RequestUri', type: 'string' },
    { name: 'Count', type: 'number' },
    { name: 'Principals', type: 'string' },
    { name: 'LastSeen', type: 'datetime' },
  ],
  totalColumn: 'Count',
  kqlBody: (p) =>
    [
      'kvAudit',
      `| where ${KQL_FAILURE}`,
      `| extend RequestPath = ${KQL_URI_PATH}`,
      `| summarize Count = count(), Principals = ${kqlSet('Principal')}, LastSeen = max(TimeGenerated) by OperationName, Status, RequestPath`,
      '| project OperationName, Status, RequestUri = RequestPath, Count, Principals, LastSeen',
      kqlTop(p, 'Count desc, OperationName asc, Status asc, RequestUri asc'),
    ].join('\n'),
  sql: (p) => {
    const params: SqlParams = {};
    return sqlWith(
      `WITH per_principal AS (
  SELECT operation, status, ${SQL_URI_PATH} AS uri, principal, count(*) AS cnt, max(time_ms) AS last_ms
  FROM ${EVENTS_TABLE}
  WHERE ${eventsWhere(filterOf(p), params)} AND ${SQL_FAILURE}
  GROUP BY ALL
)
SELECT operation AS OperationName, status AS Status, uri AS RequestUri, sum(cnt) AS Count,
  ${sqlList('principal')} AS Principals, max(last_ms) AS LastSeen
FROM per_principal GROUP BY operation, status, uri
ORDER BY Count DESC, OperationName ASC, Status ASC, RequestUri ASC`,
      params,
      p,
    );
  },
};
