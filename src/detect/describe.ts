import type { AuditObject } from '../audit/audit-event.js';
import type { RuleEvent } from './rule-event.js';

/** The person behind an event for a summary sentence: UPN, else display name, else app id, else principal. */
export function actorOf(e: RuleEvent): string {
  const id = e.identity;
  if (id.upn) return id.upn;
  if (id.name) return id.name;
  if (id.appId) return `app ${id.appId}`;
  if (e.principal !== 'unknown') return e.principal;
  return e.ip ? `an unauthenticated caller at ${e.ip}` : 'an unknown caller';
}

/** "secret stripe-api-key", "deleted secret stripe-api-key", "vault kv-prod-payments". */
export function objectText(e: RuleEvent, object: AuditObject | undefined = e.object): string {
  if (!object || object.type === 'vault') return `vault ${e.vault}`;
  const kind = object.type === 'other' ? 'object' : object.type;
  return object.name ? `${kind} ${object.name}` : `a ${kind}`;
}

/** The object identity for "distinct objects": type and name, versions ignored. */
export function objectKey(object: AuditObject | undefined): string | undefined {
  return object?.name ? `${object.type}/${object.name.toLowerCase()}` : undefined;
}

/** True for data-plane operations (Secret*, Key*, Certificate*), excluding Event Grid notification records. */
export function isDataPlane(operation: string): boolean {
  let known = DATA_PLANE.get(operation);
  if (known === undefined) {
    known = /^(Secret|Key|Certificate)/.test(operation) && !operation.endsWith('EventGridNotification');
    if (DATA_PLANE.size < 1000) DATA_PLANE.set(operation, known);
  }
  return known;
}
const DATA_PLANE = new Map<string, boolean>();

/** A successful VaultPut/VaultPatch: the control-plane changes that carry ACL and access-policy diffs. */
export function isVaultChange(e: RuleEvent): boolean {
  return e.success && (e.operation === 'VaultPatch' || e.operation === 'VaultPut');
}

/** Caller principal for windows keyed by principal-or-IP. */
export function principalOrIp(e: RuleEvent): string {
  return e.principal !== 'unknown' ? e.principal : (e.ip ?? 'unknown');
}
