import { kqlDatetime, kqlString } from './kql-literal.js';
import type { SourceFilter, TablesMode } from './query-spec.js';

/**
 * The normalized Key Vault audit source in KQL. Each table is projected to the same columns, so every
 * query body is written once:
 *   TimeGenerated, Vault, OperationName, Status (HTTP, 0 when absent), Principal, ObjectId, Upn, AppId,
 *   CallerIp, RequestUri, NetworkDefaultAction, AddedIpRule, RemovedIpRule, AddedAccessPolicy, RemovedAccessPolicy
 * Identity is coalesced the way the data needs: data-plane rows carry `oid`/`upn`, control-plane rows the
 * URI claims (objectidentifier, xmlsoap upn). AzureDiagnostics columns a workspace has never seen do not
 * exist there, so every optional one goes through column_ifexists(). Success is decided from the HTTP status.
 */

const OID_URI = 'http://schemas.microsoft.com/identity/claims/objectidentifier';
const UPN_URI = 'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/upn';

export const NORMALIZED_COLUMNS = [
  'TimeGenerated',
  'Vault',
  'OperationName',
  'Status',
  'Principal',
  'ObjectId',
  'Upn',
  'AppId',
  'CallerIp',
  'RequestUri',
  'NetworkDefaultAction',
  'AddedIpRule',
  'RemovedIpRule',
  'AddedAccessPolicy',
  'RemovedAccessPolicy',
] as const;

const PROJECT = `| project ${NORMALIZED_COLUMNS.join(', ')}`;

function timeFilter(f: SourceFilter): string {
  return `| where TimeGenerated >= ${kqlDatetime(f.startMs)} and TimeGenerated < ${kqlDatetime(f.endMs)}`;
}

/** Filters on normalized columns, shared by both tables. */
function entityFilters(f: SourceFilter): string[] {
  const out: string[] = [];
  if (f.caller) {
    const c = kqlString(f.caller);
    out.push(`| where ObjectId == ${c} or AppId == ${c} or Upn == ${c}`);
  }
  if (f.ip) out.push(`| where CallerIp == ${kqlString(f.ip)}`);
  return out;
}

const ad = (column: string, fallback = '""') => `column_ifexists("${column}", ${fallback})`;

export function azureDiagnosticsSource(f: SourceFilter): string {
  return [
    'AzureDiagnostics',
    timeFilter(f),
    '| where ResourceProvider == "MICROSOFT.KEYVAULT" and ResourceType == "VAULTS" and Category == "AuditEvent"',
    ...(f.vault ? [`| where Resource =~ ${kqlString(f.vault)}`] : []),
    '| extend Vault = tolower(Resource),',
    `    Status = coalesce(toint(${ad('httpStatusCode_d', 'real(null)')}), 0),`,
    `    ObjectId = tolower(coalesce(tostring(${ad('identity_claim_oid_g')}), tostring(${ad('identity_claim_http_schemas_microsoft_com_identity_claims_objectidentifier_g')}))),`,
    `    Upn = tolower(coalesce(tostring(${ad('identity_claim_upn_s')}), tostring(${ad('identity_claim_http_schemas_xmlsoap_org_ws_2005_05_identity_claims_upn_s')}), tostring(${ad('identity_claim_unique_name_s')}))),`,
    `    AppId = tolower(tostring(${ad('identity_claim_appid_g')})),`,
    '    CallerIp = CallerIPAddress,',
    `    RequestUri = tostring(${ad('requestUri_s')}),`,
    `    NetworkDefaultAction = tostring(${ad('properties_networkAcls_defaultAction_s')}),`,
    `    AddedIpRule = tostring(${ad('addedIpRule_Value_s')}),`,
    `    RemovedIpRule = tostring(${ad('removedIpRule_Value_s')}),`,
    `    AddedAccessPolicy = tolower(tostring(${ad('addedAccessPolicy_ObjectId_g')})),`,
    `    RemovedAccessPolicy = tolower(tostring(${ad('removedAccessPolicy_ObjectId_g')}))`,
    '| extend Principal = coalesce(ObjectId, AppId, Upn, CallerIp, "unknown")',
    ...entityFilters(f),
    PROJECT,
  ].join('\n');
}

export function azkvAuditLogsSource(f: SourceFilter): string {
  return [
    'AZKVAuditLogs',
    timeFilter(f),
    '| extend Vault = tolower(extract("/vaults/([^/]+)$", 1, tolower(_ResourceId)))',
    ...(f.vault ? [`| where Vault == ${kqlString(f.vault)}`] : []),
    '| extend Status = coalesce(toint(HttpStatusCode), 0),',
    `    ObjectId = tolower(coalesce(tostring(Identity.claim.oid), tostring(Identity.claim["${OID_URI}"]))),`,
    `    Upn = tolower(coalesce(tostring(Identity.claim.upn), tostring(Identity.claim["${UPN_URI}"]), tostring(Identity.claim.unique_name))),`,
    '    AppId = tolower(tostring(Identity.claim.appid)),',
    '    CallerIp = CallerIpAddress,',
    '    NetworkDefaultAction = tostring(NetworkAcls.defaultAction),',
    '    AddedIpRule = coalesce(tostring(VaultProperties.addedIpRule.Value), tostring(Properties.addedIpRule.Value)),',
    '    RemovedIpRule = coalesce(tostring(VaultProperties.removedIpRule.Value), tostring(Properties.removedIpRule.Value)),',
    '    AddedAccessPolicy = tolower(coalesce(tostring(VaultProperties.addedAccessPolicy.ObjectId), tostring(Properties.addedAccessPolicy.ObjectId))),',
    '    RemovedAccessPolicy = tolower(coalesce(tostring(VaultProperties.removedAccessPolicy.ObjectId), tostring(Properties.removedAccessPolicy.ObjectId)))',
    '| extend Principal = coalesce(ObjectId, AppId, Upn, CallerIpAddress, "unknown")',
    ...entityFilters(f),
    PROJECT,
  ].join('\n');
}

/**
 * The `let kvAudit = …;` statement for the configured tables mode. `both` is a fuzzy union: a workspace
 * that has only ever had one of the two tables still answers from the other.
 */
export function kqlSource(mode: TablesMode, f: SourceFilter): string {
  const indent = (text: string) => text.replace(/^/gm, '    ');
  switch (mode) {
    case 'AzureDiagnostics':
      return `let kvAudit = ${azureDiagnosticsSource(f)};`;
    case 'AZKVAuditLogs':
      return `let kvAudit = ${azkvAuditLogsSource(f)};`;
    case 'both':
      return `let kvAudit = union isfuzzy=true\n  (\n${indent(azureDiagnosticsSource(f))}\n  ),\n  (\n${indent(azkvAuditLogsSource(f))}\n  );`;
  }
}
