/**
 * How a parse worker hands the rule-relevant fields of its events to the detection thread: numbers in
 * one transferable Float64Array, strings as indexes into a table both sides grow in step (a worker
 * sends each new string once), event keys as a plain list, and the rare control-plane parts as is.
 * Cloning a few hundred thousand small objects per second would cost the detection thread more than
 * detecting does; this costs it one object per event.
 */
import type { AuditEvent, AuditIdentity, AuditObject, ObjectType } from '../../audit/audit-event.js';
import { CompactEvent, type RuleEvent, rareParts } from '../rule-event.js';

/** Numbers per event in `WireBatch.nums`. */
const STRIDE = 14;
const NONE = -1;
const OBJECT_TYPES: readonly ObjectType[] = ['secret', 'key', 'certificate', 'vault', 'storage', 'other'];
/** A worker's string table is restarted (at a batch boundary) once it holds this many strings. */
const MAX_STRINGS = 50_000;

type Rare = NonNullable<ReturnType<typeof rareParts>>;

/** The events of one chunk as they cross from a worker to the detection thread. */
export interface WireBatch {
  /** The table was restarted before this batch: forget every string received so far. */
  readonly reset: boolean;
  /** Strings added to the table by this batch, in index order. */
  readonly strings: string[];
  readonly nums: Float64Array;
  readonly keys: string[];
  /** Control-plane parts (network ACLs, access-policy and IP-rule changes), referenced by index. */
  readonly rare: Rare[];
}

interface IdentityIds {
  readonly principal: number;
  readonly objectId: number;
  readonly appId: number;
  readonly upn: number;
  readonly name: number;
}

/** Worker side: turns events into WireBatches, remembering which strings the other side has. */
export class WireEncoder {
  private table = new Map<string, number>();
  private fresh: string[] = [];
  private reset = false;
  /** The string ids of each principal's identity fields, while they stay the same (one lookup, not five). */
  private identities = new Map<string, IdentityIds & { identity: AuditEvent['identity'] }>();

  encode(events: readonly AuditEvent[]): WireBatch {
    if (this.table.size >= MAX_STRINGS) {
      this.table = new Map();
      this.identities = new Map();
      this.reset = true;
    }
    const nums = new Float64Array(events.length * STRIDE);
    const keys: string[] = new Array(events.length);
    const rare: Rare[] = [];
    for (let i = 0; i < events.length; i++) {
      const e = events[i]!;
      const o = i * STRIDE;
      keys[i] = e.key;
      nums[o] = e.timeMs;
      nums[o + 1] = e.status ?? Number.NaN;
      nums[o + 2] = e.success ? 1 : 0;
      nums[o + 3] = this.id(e.vault);
      nums[o + 4] = this.id(e.operation);
      const who = this.identity(e);
      nums[o + 5] = who.principal;
      nums[o + 6] = who.objectId;
      nums[o + 7] = who.appId;
      nums[o + 8] = who.upn;
      nums[o + 9] = who.name;
      nums[o + 10] = this.id(e.ip);
      nums[o + 11] =
        e.object === undefined ? NONE : OBJECT_TYPES.indexOf(e.object.type) * 2 + (e.object.deleted ? 1 : 0);
      nums[o + 12] = this.id(e.object?.name);
      const parts = rareParts(e);
      nums[o + 13] = parts === null ? NONE : rare.push(parts) - 1;
    }
    const batch: WireBatch = { reset: this.reset, strings: this.fresh, nums, keys, rare };
    this.fresh = [];
    this.reset = false;
    return batch;
  }

  private identity(e: AuditEvent): IdentityIds {
    const i = e.identity;
    const known = this.identities.get(e.principal);
    if (
      known !== undefined &&
      known.identity.objectId === i.objectId &&
      known.identity.appId === i.appId &&
      known.identity.upn === i.upn &&
      known.identity.name === i.name
    )
      return known;
    const ids = {
      principal: this.id(e.principal),
      objectId: this.id(i.objectId),
      appId: this.id(i.appId),
      upn: this.id(i.upn),
      name: this.id(i.name),
      identity: i,
    };
    this.identities.set(e.principal, ids);
    return ids;
  }

  private id(s: string | undefined): number {
    if (s === undefined) return NONE;
    let id = this.table.get(s);
    if (id === undefined) {
      id = this.table.size;
      this.table.set(s, id);
      this.fresh.push(s);
    }
    return id;
  }
}

/**
 * Detection-thread side: one per worker, fed that worker's batches in the order it sent them. Makes the
 * engine's compact events directly: the table already holds one copy of each string, and the identity
 * and object parts are shared per principal and per object as the engine's compactor would share them.
 */
export class WireDecoder {
  private strings: string[] = [];
  private identities = new Map<
    number,
    { objectId: number; appId: number; upn: number; name: number; part: AuditIdentity }
  >();
  private objects = new Map<number, AuditObject>();

  decode(batch: WireBatch): RuleEvent[] {
    if (batch.reset) {
      this.strings = [];
      this.identities.clear();
      this.objects.clear();
    }
    for (const s of batch.strings) this.strings.push(s);
    const { nums, keys, rare } = batch;
    const events: RuleEvent[] = new Array(keys.length);
    for (let i = 0; i < keys.length; i++) {
      const o = i * STRIDE;
      const status = nums[o + 1]!;
      const obj = nums[o + 11]!;
      const r = nums[o + 13]!;
      const principal = nums[o + 5]!;
      events[i] = new CompactEvent(
        {
          key: keys[i]!,
          timeMs: nums[o]!,
          status: Number.isNaN(status) ? undefined : status,
          success: nums[o + 2] === 1,
          vault: this.strings[nums[o + 3]!]!,
          operation: this.strings[nums[o + 4]!]!,
        },
        this.strings[principal]!,
        this.identity(principal, nums[o + 6]!, nums[o + 7]!, nums[o + 8]!, nums[o + 9]!),
        this.text(nums[o + 10]!),
        obj === NONE ? undefined : this.object(obj, nums[o + 12]!),
        r === NONE ? null : rare[r]!,
      );
    }
    return events;
  }

  private text(id: number): string | undefined {
    return id === NONE ? undefined : this.strings[id];
  }

  /** The shared identity part of `principal`, while its ids stay the same. */
  private identity(
    principal: number,
    objectId: number,
    appId: number,
    upn: number,
    name: number,
  ): AuditIdentity {
    const known = this.identities.get(principal);
    if (
      known !== undefined &&
      known.objectId === objectId &&
      known.appId === appId &&
      known.upn === upn &&
      known.name === name
    )
      return known.part;
    const part: AuditIdentity = Object.freeze({
      objectId: this.text(objectId),
      appId: this.text(appId),
      upn: this.text(upn),
      name: this.text(name),
    });
    this.identities.set(principal, { objectId, appId, upn, name, part });
    return part;
  }

  private object(code: number, name: number): AuditObject {
    const id = (name + 1) * 16 + code; // code < 12
    let part = this.objects.get(id);
    if (part === undefined) {
      part = Object.freeze({
        type: OBJECT_TYPES[code >> 1]!,
        deleted: (code & 1) === 1,
        name: this.text(name),
      });
      this.objects.set(id, part);
    }
    return part;
  }
}
