/**
 * The three record shapes (raw blob/Event Hub JSON, AzureDiagnostics row, AZKVAuditLogs row),
 * each read into one neutral set of still-unvalidated fields. The shape is recognised from the
 * record's own fields, never from where it came from.
 */
import { isObject, type Json, optObject, prop } from './field-values.js';

export type RecordShape = 'raw' | 'azure-diagnostics' | 'azkv-audit-logs';

export interface Claims {
  oid: unknown;
  objectIdentifier: unknown;
  appid: unknown;
  upn: unknown;
  upnUri: unknown;
  uniqueName: unknown;
  name: unknown;
  mirid: unknown;
  ipaddr: unknown;
}

export interface RecordFields {
  time: unknown;
  timeField: string;
  resourceId: unknown;
  /** AzureDiagnostics `Resource` (vault name, upper case). */
  resource: unknown;
  operationName: unknown;
  operationVersion: unknown;
  resultType: unknown;
  resultSignature: unknown;
  resultDescription: unknown;
  durationMs: unknown;
  ip: unknown;
  correlationId: unknown;
  claims: Claims | undefined;
  requestUri: unknown;
  id: unknown;
  status: unknown;
  clientInfo: unknown;
  tlsVersion: unknown;
  isRbacAuthorized: unknown;
  isAccessPolicyMatch: unknown;
  appliedAssignmentId: unknown;
  /** False when the record carries no vault properties (then network ACL state is unknown). */
  hasVaultProperties: boolean;
  networkAcls: unknown;
  addedAccessPolicy: unknown;
  removedAccessPolicy: unknown;
  addedIpRule: unknown;
  removedIpRule: unknown;
}

const OID_URI = 'http://schemas.microsoft.com/identity/claims/objectidentifier';
const UPN_URI = 'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/upn';
const NAME_URI = 'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/name';

export function detectShape(o: Json): RecordShape {
  if (o.time !== undefined || o.operationName !== undefined) return 'raw';
  if (o.TimeGenerated !== undefined || o.OperationName !== undefined) {
    if (o.Type === 'AZKVAuditLogs') return 'azkv-audit-logs';
    if (o.Type === 'AzureDiagnostics') return 'azure-diagnostics';
    if (
      o.CallerIpAddress !== undefined ||
      o.Identity !== undefined ||
      o.HttpStatusCode !== undefined ||
      o.RequestUri !== undefined
    )
      return 'azkv-audit-logs';
    return 'azure-diagnostics';
  }
  return 'raw';
}

export function readFields(o: Json): RecordFields {
  const shape = detectShape(o);
  if (shape === 'raw') return rawFields(o);
  if (shape === 'azure-diagnostics') return diagnosticsFields(o);
  return azkvFields(o);
}

function claimsOf(claim: Json): Claims {
  return {
    oid: claim.oid,
    objectIdentifier: claim[OID_URI],
    appid: claim.appid,
    upn: claim.upn,
    upnUri: claim[UPN_URI],
    uniqueName: claim.unique_name,
    name: claim[NAME_URI] ?? claim.name,
    mirid: claim.xms_mirid,
    ipaddr: claim.ipaddr,
  };
}

function identityClaims(identity: unknown, field: string): Claims | undefined {
  const id = optObject(identity, field);
  if (!id) return undefined;
  const claim = optObject(id.claim, `${field}.claim`);
  return claim ? claimsOf(claim) : undefined;
}

function rawFields(o: Json): RecordFields {
  const p = optObject(o.properties, 'properties') ?? {};
  const vault = p.properties;
  const hasVault = isObject(vault);
  return {
    time: o.time,
    timeField: 'time',
    resourceId: o.resourceId,
    resource: undefined,
    operationName: o.operationName,
    operationVersion: o.operationVersion,
    resultType: o.resultType,
    resultSignature: o.resultSignature,
    resultDescription: o.resultDescription,
    durationMs: o.durationMs,
    ip: o.callerIpAddress,
    correlationId: o.correlationId,
    claims: identityClaims(o.identity, 'identity'),
    requestUri: p.requestUri,
    id: p.id,
    status: p.httpStatusCode,
    clientInfo: p.clientInfo,
    tlsVersion: p.tlsVersion,
    isRbacAuthorized: p.isRbacAuthorized,
    isAccessPolicyMatch: p.isAccessPolicyMatch,
    appliedAssignmentId: p.appliedAssignmentId,
    hasVaultProperties: hasVault && 'networkAcls' in vault,
    networkAcls: hasVault ? vault.networkAcls : undefined,
    addedAccessPolicy: p.addedAccessPolicy,
    removedAccessPolicy: p.removedAccessPolicy,
    addedIpRule: p.addedIpRule,
    removedIpRule: p.removedIpRule,
  };
}

/** First non-empty value among AzureDiagnostics columns (a claim can land in `_g` or `_s`). */
function col(row: Json, ...names: string[]): unknown {
  for (const n of names) {
    const v = row[n];
    if (v !== undefined && v !== null && v !== '') return v;
  }
  return undefined;
}

function diagnosticsPolicy(row: Json, prefix: string): unknown {
  const objectId = col(row, `${prefix}_ObjectId_g`, `${prefix}_ObjectId_s`, `${prefix}_objectId_g`);
  if (objectId === undefined) return undefined;
  return {
    ObjectId: objectId,
    TenantId: col(row, `${prefix}_TenantId_g`, `${prefix}_TenantId_s`, `${prefix}_tenantId_g`),
    Permissions: {
      keys: col(row, `${prefix}_Permissions_keys_s`),
      secrets: col(row, `${prefix}_Permissions_secrets_s`),
      certificates: col(row, `${prefix}_Permissions_certificates_s`),
    },
  };
}

function diagnosticsFields(row: Json): RecordFields {
  let hasVault = false;
  for (const k in row) {
    if (k.startsWith('properties_')) {
      const v = row[k];
      if (v !== undefined && v !== null && v !== '') {
        hasVault = true;
        break;
      }
    }
  }
  const defaultAction = col(row, 'properties_networkAcls_defaultAction_s');
  const bypass = col(row, 'properties_networkAcls_bypass_s');
  const c = 'identity_claim_';
  const claims: Claims = {
    oid: col(row, `${c}oid_g`, `${c}oid_s`),
    objectIdentifier: col(
      row,
      `${c}http_schemas_microsoft_com_identity_claims_objectidentifier_g`,
      `${c}http_schemas_microsoft_com_identity_claims_objectidentifier_s`,
    ),
    appid: col(row, `${c}appid_g`, `${c}appid_s`),
    upn: col(row, `${c}upn_s`),
    upnUri: col(row, `${c}http_schemas_xmlsoap_org_ws_2005_05_identity_claims_upn_s`),
    uniqueName: col(row, `${c}unique_name_s`),
    name: col(row, `${c}http_schemas_xmlsoap_org_ws_2005_05_identity_claims_name_s`, `${c}name_s`),
    mirid: col(row, `${c}xms_mirid_s`),
    ipaddr: col(row, `${c}ipaddr_s`),
  };
  return {
    time: row.TimeGenerated,
    timeField: 'TimeGenerated',
    resourceId: col(row, 'ResourceId', '_ResourceId'),
    resource: row.Resource,
    operationName: row.OperationName,
    operationVersion: row.OperationVersion,
    resultType: row.ResultType,
    resultSignature: row.ResultSignature,
    resultDescription: row.ResultDescription,
    durationMs: row.DurationMs,
    ip: row.CallerIPAddress,
    correlationId: row.CorrelationId,
    claims,
    requestUri: row.requestUri_s,
    id: row.id_s,
    status: row.httpStatusCode_d,
    clientInfo: col(row, 'clientInfo_s', 'clientInfo_g'),
    tlsVersion: row.tlsVersion_s,
    isRbacAuthorized: row.isRbacAuthorized_b,
    isAccessPolicyMatch: row.isAccessPolicyMatch_b,
    appliedAssignmentId: col(row, 'appliedAssignmentId_g', 'appliedAssignmentId_s'),
    hasVaultProperties: hasVault,
    networkAcls: defaultAction === undefined && bypass === undefined ? null : { defaultAction, bypass },
    addedAccessPolicy: diagnosticsPolicy(row, 'addedAccessPolicy'),
    removedAccessPolicy: diagnosticsPolicy(row, 'removedAccessPolicy'),
    addedIpRule: col(row, 'addedIpRule_Value_s', 'addedIpRule_value_s'),
    removedIpRule: col(row, 'removedIpRule_Value_s', 'removedIpRule_value_s'),
  };
}

function azkvFields(row: Json): RecordFields {
  const vaultProps = optObject(row.VaultProperties, 'VaultProperties');
  const extra = optObject(row.Properties, 'Properties');
  const fromDiffs = (name: string): unknown =>
    (vaultProps ? prop(vaultProps, name) : undefined) ?? (extra ? prop(extra, name) : undefined);
  const nonEmpty = (v: unknown): boolean => v !== undefined && v !== null && v !== '';
  const hasVault =
    (vaultProps !== undefined && vaultProps !== null) ||
    nonEmpty(row.Sku) ||
    nonEmpty(row.NetworkAcls) ||
    nonEmpty(row.EnableSoftDelete) ||
    nonEmpty(row.EnableRbacAuthorization);
  let networkAcls: unknown = row.NetworkAcls;
  if (!nonEmpty(networkAcls) && vaultProps) networkAcls = prop(vaultProps, 'networkAcls');
  return {
    time: row.TimeGenerated,
    timeField: 'TimeGenerated',
    resourceId: col(row, '_ResourceId', 'ResourceId'),
    resource: undefined,
    operationName: row.OperationName,
    operationVersion: row.OperationVersion,
    resultType: row.ResultType,
    resultSignature: row.ResultSignature,
    resultDescription: row.ResultDescription,
    durationMs: row.DurationMs,
    ip: row.CallerIpAddress,
    correlationId: row.CorrelationId,
    claims: identityClaims(row.Identity, 'Identity'),
    requestUri: row.RequestUri,
    id: row.Id,
    status: row.HttpStatusCode,
    clientInfo: row.ClientInfo,
    tlsVersion: col(row, 'Tlsversion', 'TlsVersion'),
    isRbacAuthorized: row.IsRbacAuthorized,
    isAccessPolicyMatch: row.IsAccessPolicyMatch,
    appliedAssignmentId: row.AppliedAssignmentId,
    hasVaultProperties: hasVault,
    networkAcls: nonEmpty(networkAcls) ? networkAcls : null,
    addedAccessPolicy: fromDiffs('addedAccessPolicy'),
    removedAccessPolicy: fromDiffs('removedAccessPolicy'),
    addedIpRule: fromDiffs('addedIpRule'),
    removedIpRule: fromDiffs('removedIpRule'),
  };
}
