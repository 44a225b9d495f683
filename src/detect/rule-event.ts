import type { AuditEvent, AuditIdentity, AuditObject } from '../audit/audit-event.js';

/**
 * The fields of an AuditEvent that rules read. The engine keeps events in this compact form while they
 * wait in the lateness buffer (and in checkpoints): no request URI, client info, descriptions or resource
 * id, and repeated strings shared, so a buffered event costs a few hundred bytes.
 */
export type RuleEvent = Pick<
  AuditEvent,
  | 'key'
  | 'timeMs'
  | 'vault'
  | 'operation'
  | 'status'
  | 'success'
  | 'principal'
  | 'identity'
  | 'ip'
  | 'object'
  | 'networkAcls'
  | 'addedAccessPolicy'
  | 'removedAccessPolicy'
  | 'addedIpRule'
  | 'removedIpRule'
>;

/** Shares equal strings between events (vaults, operations, principals, names); bounded, reset when full. */
export class StringPool {
  private pool = new Map<string, string>();
  constructor(private readonly max = 50_000) {}

  intern<T extends string | undefined>(s: T): T {
    if (s === undefined) return s;
    const known = this.pool.get(s);
    if (known !== undefined) return known as T;
    if (this.pool.size >= this.max) this.pool = new Map();
    this.pool.set(s, s);
    return s;
  }
}

/** The compact copy of an event the engine buffers. */
export function compactEvent(e: RuleEvent, pool: StringPool): RuleEvent {
  const id = e.identity;
  const identity: AuditIdentity = {
    ...(id.objectId !== undefined ? { objectId: pool.intern(id.objectId) } : {}),
    ...(id.appId !== undefined ? { appId: pool.intern(id.appId) } : {}),
    ...(id.upn !== undefined ? { upn: pool.intern(id.upn) } : {}),
    ...(id.name !== undefined ? { name: pool.intern(id.name) } : {}),
  };
  const o = e.object;
  const object: AuditObject | undefined = o && {
    type: o.type,
    deleted: o.deleted,
    ...(o.name !== undefined ? { name: pool.intern(o.name) } : {}),
  };
  return {
    key: e.key,
    timeMs: e.timeMs,
    vault: pool.intern(e.vault),
    operation: pool.intern(e.operation),
    success: e.success,
    principal: pool.intern(e.principal),
    identity,
    ...(e.status !== undefined ? { status: e.status } : {}),
    ...(e.ip !== undefined ? { ip: pool.intern(e.ip) } : {}),
    ...(object !== undefined ? { object } : {}),
    ...(e.networkAcls !== undefined ? { networkAcls: e.networkAcls } : {}),
    ...(e.addedAccessPolicy !== undefined ? { addedAccessPolicy: e.addedAccessPolicy } : {}),
    ...(e.removedAccessPolicy !== undefined ? { removedAccessPolicy: e.removedAccessPolicy } : {}),
    ...(e.addedIpRule !== undefined ? { addedIpRule: e.addedIpRule } : {}),
    ...(e.removedIpRule !== undefined ? { removedIpRule: e.removedIpRule } : {}),
  };
}
