/**
 * One AuditEvent from a record of any shape (raw blob/Event Hub JSON, AzureDiagnostics row,
 * AZKVAuditLogs row), applying the traps of reference §0: outcome from the HTTP status never
 * `resultType`, both claim dialects, string `durationMs`, inconsistent casing, vault state as
 * resulting state, access-policy / IP-rule diffs beside `requestUri`.
 */
import type {
  AccessPolicyChange,
  AuditEvent,
  AuditIdentity,
  AuditObject,
  AuthorizationInfo,
  NetworkAclState,
} from './audit-event.js';
import { eventKey } from './event-key.js';
import {
  isObject,
  isoMillis,
  optBoolean,
  optNumber,
  optObject,
  optString,
  parseIsoTime,
  prop,
} from './field-values.js';
import { MalformedRecordError } from './malformed-record-error.js';
import { objectFromUri, vaultFromResourceId, vaultFromUri } from './object-path.js';
import { canonicalOperation } from './operation-names.js';
import { type Claims, readFields } from './record-fields.js';

export { MalformedRecordError } from './malformed-record-error.js';
export { normalizeNotice } from './normalize-notice.js';

/**
 * Resource ids repeat on almost every record of a vault: remember their lower-case form and vault
 * name (bounded; cleared when full). Looked up by the last path segment (the vault name) and then
 * compared whole: hashing a short name is much cheaper than hashing a 150-character id per record.
 */
const ridCache = new Map<string, { raw: string; lower: string; vault: string | undefined }>();
function resourceIdParts(resourceId: string): { lower: string; vault: string | undefined } {
  const name = resourceId.slice(resourceId.lastIndexOf('/') + 1);
  let parts = ridCache.get(name);
  if (parts === undefined || parts.raw !== resourceId) {
    if (ridCache.size >= 4096) ridCache.clear();
    parts = { raw: resourceId, lower: resourceId.toLowerCase(), vault: vaultFromResourceId(resourceId) };
    ridCache.set(name, parts);
  }
  return parts;
}

const SUCCESS_SIGNATURES = new Set(['ok', 'accepted', 'created', 'no content']);

/** Normalize one audit record; throws MalformedRecordError with the reason when it cannot. */
export function normalizeRecord(obj: Record<string, unknown>): AuditEvent {
  if (!isObject(obj)) throw new MalformedRecordError('record is not a JSON object');
  // Event Hubs and AzureDiagnostics may mix in other categories (e.g. AzurePolicyEvaluationDetails)
  const category = obj.category ?? obj.Category;
  if (
    typeof category === 'string' &&
    category !== 'AuditEvent' &&
    category !== '' &&
    category.toLowerCase() !== 'auditevent'
  ) {
    throw new MalformedRecordError(`not a Key Vault audit record (category ${category.slice(0, 60)})`);
  }
  const f = readFields(obj);
  const timeMs = parseIsoTime(f.time, f.timeField);
  const operationName = optString(f.operationName, 'operationName');
  if (operationName === undefined) throw new MalformedRecordError('missing operationName');
  const operation = canonicalOperation(operationName);

  const requestUri = optString(f.requestUri, 'requestUri');
  const id = optString(f.id, 'id');
  const resourceIdRaw = optString(f.resourceId, 'resourceId');
  const rid = resourceIdRaw !== undefined ? resourceIdParts(resourceIdRaw) : undefined;
  const vault =
    rid?.vault ??
    optString(f.resource, 'Resource')?.toLowerCase() ??
    (id !== undefined ? vaultFromUri(id) : undefined) ??
    (requestUri !== undefined ? vaultFromUri(requestUri) : undefined);
  if (vault === undefined)
    throw new MalformedRecordError('no vault identifiable (no resourceId, Resource or vault URI)');

  const statusNum = optNumber(f.status, 'httpStatusCode');
  const status = statusNum === undefined ? undefined : Math.trunc(statusNum);
  const resultSignature = optString(f.resultSignature, 'resultSignature');
  const success =
    status !== undefined
      ? status >= 200 && status < 300
      : resultSignature !== undefined && SUCCESS_SIGNATURES.has(resultSignature.toLowerCase());

  const ip = optString(f.ip, 'callerIpAddress');
  const identity = identityOf(f.claims);
  // objectId and appId are already lower case
  const principal =
    identity.objectId ?? identity.appId ?? identity.upn?.toLowerCase() ?? ip?.toLowerCase() ?? 'unknown';
  const correlationId = optString(f.correlationId, 'correlationId');
  const time = isoMillis(f.time, timeMs);

  // key first so it leads when printed; filled in once the identity fields are known
  const event: { -readonly [K in keyof AuditEvent]: AuditEvent[K] } = {
    key: '',
    time,
    timeMs,
    vault,
    resourceId: rid?.lower ?? '',
    operation,
    operationVersion: optString(f.operationVersion, 'operationVersion'),
    status,
    success,
    resultType: optString(f.resultType, 'resultType'),
    resultSignature,
    resultDescription: optString(f.resultDescription, 'resultDescription'),
    principal,
    identity,
    ip,
    correlationId,
    requestUri,
    object: objectOf(id, requestUri),
    authorization: authorizationOf(f.isRbacAuthorized, f.isAccessPolicyMatch, f.appliedAssignmentId),
    networkAcls: f.hasVaultProperties ? networkAclsOf(f.networkAcls) : undefined,
    addedAccessPolicy: accessPolicyOf(f.addedAccessPolicy, 'addedAccessPolicy'),
    removedAccessPolicy: accessPolicyOf(f.removedAccessPolicy, 'removedAccessPolicy'),
    addedIpRule: ipRuleOf(f.addedIpRule, 'addedIpRule'),
    removedIpRule: ipRuleOf(f.removedIpRule, 'removedIpRule'),
    clientInfo: optString(f.clientInfo, 'clientInfo'),
    durationMs: optNumber(f.durationMs, 'durationMs'),
    tlsVersion: optString(f.tlsVersion, 'tlsVersion'),
  };
  event.key = eventKey(event);
  return event;
}

function identityOf(c: Claims | undefined): AuditIdentity {
  if (!c) return {};
  const objectId = (
    optString(c.oid, 'claim.oid') ?? optString(c.objectIdentifier, 'claim.objectidentifier')
  )?.toLowerCase();
  const appId = optString(c.appid, 'claim.appid')?.toLowerCase();
  const upn =
    optString(c.upn, 'claim.upn') ??
    optString(c.upnUri, 'claim.upn') ??
    optString(c.uniqueName, 'claim.unique_name');
  const identity: {
    -readonly [K in keyof AuditIdentity]: AuditIdentity[K];
  } = {};
  if (objectId !== undefined) identity.objectId = objectId;
  if (appId !== undefined) identity.appId = appId;
  if (upn !== undefined) identity.upn = upn;
  const name = optString(c.name, 'claim.name');
  if (name !== undefined) identity.name = name;
  const mirid = optString(c.mirid, 'claim.xms_mirid');
  if (mirid !== undefined) identity.managedIdentityId = mirid;
  const ipaddr = optString(c.ipaddr, 'claim.ipaddr');
  if (ipaddr !== undefined) identity.tokenIp = ipaddr;
  return identity;
}

function objectOf(id: string | undefined, requestUri: string | undefined): AuditObject | undefined {
  return (
    (id !== undefined ? objectFromUri(id) : undefined) ??
    (requestUri !== undefined ? objectFromUri(requestUri) : undefined)
  );
}

function authorizationOf(rbac: unknown, policy: unknown, assignment: unknown): AuthorizationInfo {
  const isRbac = optBoolean(rbac, 'isRbacAuthorized');
  const appliedAssignmentId = optString(assignment, 'appliedAssignmentId')?.toLowerCase();
  if (isRbac !== undefined) return { model: 'rbac', authorized: isRbac, appliedAssignmentId };
  const isPolicy = optBoolean(policy, 'isAccessPolicyMatch');
  if (isPolicy !== undefined) return { model: 'access-policy', authorized: isPolicy, appliedAssignmentId };
  return { model: undefined, authorized: undefined, appliedAssignmentId };
}

function networkAclsOf(v: unknown): NetworkAclState | null {
  const acls = optObject(v, 'networkAcls');
  if (!acls) return null;
  const action = optString(prop(acls, 'defaultAction'), 'networkAcls.defaultAction')?.toLowerCase();
  return {
    defaultAction: action === 'allow' ? 'Allow' : action === 'deny' ? 'Deny' : undefined,
    bypass: optString(prop(acls, 'bypass'), 'networkAcls.bypass'),
  };
}

function permissionList(v: unknown, field: string): string[] {
  if (v === undefined || v === null || v === '') return [];
  let list: unknown = v;
  if (typeof v === 'string') {
    const s = v.trim();
    if (s.startsWith('[')) {
      try {
        list = JSON.parse(s);
      } catch {
        throw new MalformedRecordError(`${field} is not a permission list`);
      }
    } else list = s.split(',');
  }
  if (!Array.isArray(list)) throw new MalformedRecordError(`${field} must be a list`);
  const out: string[] = [];
  for (const p of list) {
    if (typeof p !== 'string') throw new MalformedRecordError(`${field} must list strings`);
    const t = p.trim().toLowerCase();
    if (t !== '') out.push(t);
  }
  return out;
}

function accessPolicyOf(v: unknown, field: string): AccessPolicyChange | undefined {
  const o = optObject(v, field);
  if (!o) return undefined;
  const objectId = optString(prop(o, 'ObjectId'), `${field}.ObjectId`);
  if (objectId === undefined) return undefined;
  const perms = optObject(prop(o, 'Permissions'), `${field}.Permissions`) ?? {};
  return {
    objectId: objectId.toLowerCase(),
    tenantId: optString(prop(o, 'TenantId'), `${field}.TenantId`)?.toLowerCase(),
    permissions: {
      keys: permissionList(prop(perms, 'keys'), `${field}.Permissions.keys`),
      secrets: permissionList(prop(perms, 'secrets'), `${field}.Permissions.secrets`),
      certificates: permissionList(prop(perms, 'certificates'), `${field}.Permissions.certificates`),
    },
  };
}

function ipRuleOf(v: unknown, field: string): string | undefined {
  if (typeof v === 'string') return v === '' ? undefined : v;
  const o = optObject(v, field);
  if (!o) return undefined;
  return optString(prop(o, 'Value'), `${field}.Value`);
}
