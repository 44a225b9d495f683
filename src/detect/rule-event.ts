import type { AuditEvent, AuditIdentity, AuditObject } from '../audit/audit-event.js';

/**
 * The fields of an AuditEvent that rules read. The engine keeps events in this compact form while they
 * wait in the lateness buffer (and in checkpoints): no request URI, client info, descriptions or resource
 * id, and repeated strings and parts shared, so a buffered event costs little more than its key.
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

/**
 * Makes the compact copies of events the engine buffers (`compact`). Equal strings are shared, and so
 * are the identity and object parts: the events of one principal, or on one object, point at one frozen
 * part for as long as it stays the same, so a buffered event is one small object plus its key and
 * reading `e.identity` or `e.object` allocates nothing. Each table is bounded and reset when full.
 */
export class EventCompactor {
  private strings = new Map<string, string>();
  private identities = new Map<string, AuditIdentity>();
  private objects = new Map<string, AuditObject>();
  constructor(private readonly max = 50_000) {}

  compact(e: RuleEvent): RuleEvent {
    if (e instanceof CompactEvent) return e;
    const identity = this.identity(e.identity, e.principal);
    // The principal is usually the object id or app id just shared: take that string, not a lookup.
    const principal =
      identity.objectId === e.principal
        ? identity.objectId
        : identity.appId === e.principal
          ? identity.appId
          : this.intern(e.principal);
    // Vault and operation names usually arrive shared (normalization caches resource-id parts and
    // canonical operation names); the rare fresh ones cost a few bytes, not a lookup per event.
    return new CompactEvent(e, principal, identity, this.intern(e.ip), this.object(e.object), rareParts(e));
  }

  intern<T extends string | undefined>(s: T): T {
    if (s === undefined) return s;
    const known = this.strings.get(s);
    if (known !== undefined) return known as T;
    if (this.strings.size >= this.max) this.strings = new Map();
    this.strings.set(s, s);
    return s;
  }

  /** The shared identity part (object id, app id, UPN, name) of an event of `principal`. */
  identity(id: AuditIdentity, principal: string): AuditIdentity {
    const known = this.identities.get(principal);
    if (
      known !== undefined &&
      known.objectId === id.objectId &&
      known.appId === id.appId &&
      known.upn === id.upn &&
      known.name === id.name
    )
      return known;
    const part: AuditIdentity = Object.freeze({
      objectId: this.intern(id.objectId),
      appId: this.intern(id.appId),
      upn: this.intern(id.upn),
      name: this.intern(id.name),
    });
    if (this.identities.size >= this.max) this.identities = new Map();
    this.identities.set(this.intern(principal), part);
    return part;
  }

  /** The shared object part (type, deleted, name; the version is not kept). */
  object(o: AuditObject | undefined): AuditObject | undefined {
    if (o === undefined) return undefined;
    const name = o.name ?? '';
    const known = this.objects.get(name);
    if (known !== undefined && known.type === o.type && known.deleted === o.deleted) return known;
    const part: AuditObject = Object.freeze({
      type: o.type,
      deleted: o.deleted,
      name: this.intern(o.name),
    });
    if (this.objects.size >= this.max) this.objects = new Map();
    this.objects.set(this.intern(name), part);
    return part;
  }
}

type RareParts = Pick<
  RuleEvent,
  'networkAcls' | 'addedAccessPolicy' | 'removedAccessPolicy' | 'addedIpRule' | 'removedIpRule'
>;

/** The rare control-plane fields of an event in one object, or null when it has none. */
export function rareParts(e: RareParts): RareParts | null {
  const rare =
    e.networkAcls !== undefined ||
    e.addedAccessPolicy !== undefined ||
    e.removedAccessPolicy !== undefined ||
    e.addedIpRule !== undefined ||
    e.removedIpRule !== undefined;
  return rare
    ? {
        networkAcls: e.networkAcls,
        addedAccessPolicy: e.addedAccessPolicy,
        removedAccessPolicy: e.removedAccessPolicy,
        addedIpRule: e.addedIpRule,
        removedIpRule: e.removedIpRule,
      }
    : null;
}

/**
 * The compact copy of an event the engine buffers: the fields rules read, shared strings and shared
 * identity/object parts, and the rare control-plane fields in one side object. Serializes to a plain
 * RuleEvent. Made by an EventCompactor, or directly by a reader that already shares its parts (the
 * engine takes those as they are).
 */
export class CompactEvent implements RuleEvent {
  readonly key: string;
  readonly timeMs: number;
  readonly vault: string;
  readonly operation: string;
  readonly status: number | undefined;
  readonly success: boolean;

  constructor(
    e: Pick<RuleEvent, 'key' | 'timeMs' | 'vault' | 'operation' | 'status' | 'success'>,
    readonly principal: string,
    readonly identity: AuditIdentity,
    readonly ip: string | undefined,
    readonly object: AuditObject | undefined,
    /** Rare control-plane fields, kept as given. */
    private readonly extra: RareParts | null,
  ) {
    this.key = e.key;
    this.timeMs = e.timeMs;
    this.vault = e.vault;
    this.operation = e.operation;
    this.status = e.status;
    this.success = e.success;
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
      identity: { ...this.identity },
      ip: this.ip,
      object: this.object && { ...this.object },
      ...this.extra,
    };
  }
}
