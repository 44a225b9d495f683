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

/**
 * The compact copy of an event the engine buffers: one flat object (identity and object fields inline,
 * rebuilt on access) holding shared strings, so the events that wait out the lateness cost little memory
 * and garbage collection. Serializes to a plain RuleEvent.
 */
class CompactEvent implements RuleEvent {
  readonly key: string;
  readonly timeMs: number;
  readonly vault: string;
  readonly operation: string;
  readonly status: number | undefined;
  readonly success: boolean;
  readonly principal: string;
  readonly ip: string | undefined;
  private readonly objectId: string | undefined;
  private readonly appId: string | undefined;
  private readonly upn: string | undefined;
  private readonly name: string | undefined;
  private readonly objectType: AuditObject['type'] | undefined;
  private readonly objectDeleted: boolean;
  private readonly objectName: string | undefined;
  /** Rare control-plane fields, kept as given. */
  private readonly extra: Pick<
    RuleEvent,
    'networkAcls' | 'addedAccessPolicy' | 'removedAccessPolicy' | 'addedIpRule' | 'removedIpRule'
  > | null;

  constructor(e: RuleEvent, pool: StringPool) {
    const id = e.identity;
    const o = e.object;
    // A flat copy: a key sliced from a longer digest would keep the whole digest alive while buffered.
    this.key = Buffer.from(e.key, 'utf8').toString('utf8');
    this.timeMs = e.timeMs;
    this.vault = pool.intern(e.vault);
    this.operation = pool.intern(e.operation);
    this.status = e.status;
    this.success = e.success;
    this.principal = pool.intern(e.principal);
    this.ip = pool.intern(e.ip);
    this.objectId = pool.intern(id.objectId);
    this.appId = pool.intern(id.appId);
    this.upn = pool.intern(id.upn);
    this.name = pool.intern(id.name);
    this.objectType = o?.type;
    this.objectDeleted = o?.deleted ?? false;
    this.objectName = pool.intern(o?.name);
    const rare =
      e.networkAcls !== undefined ||
      e.addedAccessPolicy !== undefined ||
      e.removedAccessPolicy !== undefined ||
      e.addedIpRule !== undefined ||
      e.removedIpRule !== undefined;
    this.extra = rare
      ? {
          networkAcls: e.networkAcls,
          addedAccessPolicy: e.addedAccessPolicy,
          removedAccessPolicy: e.removedAccessPolicy,
          addedIpRule: e.addedIpRule,
          removedIpRule: e.removedIpRule,
        }
      : null;
  }

  get identity(): AuditIdentity {
    return { objectId: this.objectId, appId: this.appId, upn: this.upn, name: this.name };
  }
  get object(): AuditObject | undefined {
    return this.objectType === undefined
      ? undefined
      : { type: this.objectType, deleted: this.objectDeleted, name: this.objectName };
  }
  get networkAcls(): RuleEvent['networkAcls'] {
    return this.extra?.networkAcls;
  }
  get addedAccessPolicy(): RuleEvent['addedAccessPolicy'] {
    return this.extra?.addedAccessPolicy;
  }
  get removedAccessPolicy(): RuleEvent['removedAccessPolicy'] {
    return this.extra?.removedAccessPolicy;
  }
  get addedIpRule(): RuleEvent['addedIpRule'] {
    return this.extra?.addedIpRule;
  }
  get removedIpRule(): RuleEvent['removedIpRule'] {
    return this.extra?.removedIpRule;
  }

  toJSON(): RuleEvent {
    return {
      key: this.key,
      timeMs: this.timeMs,
      vault: this.vault,
      operation: this.operation,
      status: this.status,
      success: this.success,
      principal: this.principal,
      identity: this.identity,
      ip: this.ip,
      object: this.object,
      ...this.extra,
    };
  }
}

/** The compact copy of an event the engine buffers. */
export function compactEvent(e: RuleEvent, pool: StringPool): RuleEvent {
  return new CompactEvent(e, pool);
}
