import { filterOf, type QuerySpec } from '../query-spec.js';
import { type SqlParams, slicesCte } from '../sql-source.js';
import { kqlTop, sqlWith } from './shared.js';

/** Operation counts by result (HTTP status and its outcome). */
export const ops: QuerySpec = {
  name: 'ops',
  summary: 'operation counts by result (HTTP status)',
  usage: 'ops <vault> [since]',
  needs: { vault: 'optional', caller: 'none' },
  columns: [
    { name: 'OperationName', type: 'string' },
    { name: 'Status', type: 'number' },
    { name: 'Outcome', type: 'string' },
    { name: 'Count', type: 'number' },
  ],
  totalColumn: 'Count',
  kqlBody: (p) =>
    [
      'kvAudit',
      '| summarize Count = count() by OperationName, Status',
      '| extend Outcome = case(Status between (200 .. 299), "success", Status >= 400, "failure", "other")',
      '| project OperationName, Status, Outcome, Count',
      kqlTop(p, 'Count desc, OperationName asc, Status asc'),
    ].join('\n'),
  sql: (p) => {
    const params: SqlParams = {};
    return sqlWith(
      `WITH ${slicesCte(filterOf(p), params)}
SELECT operation AS OperationName, status AS Status,
  CASE WHEN status BETWEEN 200 AND 299 THEN 'success' WHEN status >= 400 THEN 'failure' ELSE 'other' END AS Outcome,
  sum(cnt) AS Count
FROM slices GROUP BY operation, status
ORDER BY Count DESC, OperationName ASC, Status ASC`,
      params,
      p,
    );
  },
};
