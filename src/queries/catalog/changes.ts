import { filterOf, type QuerySpec } from '../query-spec.js';
import { EVENTS_TABLE, eventsWhere, type SqlParams } from '../sql-source.js';
import { kqlTop, sqlWith } from './shared.js';

/** Vault configuration changes (VaultPut / VaultPatch): firewall, IP rules, access policies, and who. */
export const changes: QuerySpec = {
  name: 'changes',
  summary: 'vault configuration changes (firewall, IP rules, access policies): who changed what',
  usage: 'changes <vault> [since]',
  needs: { vault: 'optional', caller: 'none' },
  columns: [
    { name: 'TimeGenerated', type: 'datetime' },
    { name: 'Vault', type: 'string' },
    { name: 'Principal', type: 'string' },
    { name: 'Upn', type: 'string' },
    { name: 'OperationName', type: 'string' },
    { name: 'Status', type: 'number' },
    { name: 'CallerIp', type: 'string' },
    { name: 'NetworkDefaultAction', type: 'string' },
    { name: 'AddedIpRule', type: 'string' },
    { name: 'RemovedIpRule', type: 'string' },
    { name: 'AddedAccessPolicy', type: 'string' },
    { name: 'RemovedAccessPolicy', type: 'string' },
  ],
  kqlBody: (p) =>
    [
      'kvAudit',
      '| where OperationName in ("VaultPut", "VaultPatch")',
      '| project TimeGenerated, Vault, Principal, Upn, OperationName, Status, CallerIp, NetworkDefaultAction,',
      '    AddedIpRule, RemovedIpRule, AddedAccessPolicy, RemovedAccessPolicy',
      kqlTop(p, 'TimeGenerated desc, Principal asc, OperationName asc'),
    ].join('\n'),
  sql: (p) => {
    const params: SqlParams = {};
    return sqlWith(
      `SELECT time_ms AS TimeGenerated, vault AS Vault, principal AS Principal, upn AS Upn, operation AS OperationName,
  status AS Status, ip AS CallerIp, network_default_action AS NetworkDefaultAction, added_ip_rule AS AddedIpRule,
  removed_ip_rule AS RemovedIpRule, added_policy AS AddedAccessPolicy, removed_policy AS RemovedAccessPolicy
FROM ${EVENTS_TABLE}
WHERE ${eventsWhere(filterOf(p), params)} AND operation IN ('VaultPut', 'VaultPatch')
ORDER BY TimeGenerated DESC, Principal ASC, OperationName ASC`,
      params,
      p,
    );
  },
};
