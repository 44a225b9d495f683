import type { Store, Versioned } from '../store/store.js';
import type { Logger } from '../util/logger.js';
import { ROTATIONS, type RotationRecord } from './rotation-record.js';

export type StoredRotation = Versioned<RotationRecord>;

/** Called after every successful write, e.g. to re-render the rotation's card. Must not throw. */
export type RotationListener = (record: RotationRecord) => void | Promise<void>;

/**
 * Rotation documents in the Store: every change is a CAS write followed by an audit-trail entry
 * (subject = rotation id) and a change notification.
 */
export class RotationRepo {
  constructor(
    private readonly store: Store,
    private readonly listener: RotationListener = () => undefined,
    private readonly logger?: Pick<Logger, 'info' | 'warn'>,
  ) {}

  get(id: string): Promise<StoredRotation | undefined> {
    return this.store.get<RotationRecord>(ROTATIONS, id);
  }

  async list(): Promise<RotationRecord[]> {
    return (await this.store.list<RotationRecord>(ROTATIONS)).map((d) => d.value);
  }

  async create(record: RotationRecord, audit: AuditNote): Promise<StoredRotation | undefined> {
    const stamped: RotationRecord = { ...record, revision: 1 };
    const created = await this.store.create(ROTATIONS, record.id, stamped);
    if (created) await this.after(stamped, audit);
    return created;
  }

  /** CAS write; throws ConflictError when `current` is stale. */
  async write(current: StoredRotation, next: RotationRecord, audit?: AuditNote): Promise<StoredRotation> {
    const stamped: RotationRecord = { ...next, revision: (current.value.revision ?? 0) + 1 };
    const written = await this.store.update(ROTATIONS, next.id, stamped, current.version);
    await this.after(stamped, audit);
    return written;
  }

  /**
   * Repairs what a crash between a CAS write and its after-effects left undone: each history line that has
   * no audit entry gets one (marked as recorded late), and then the listener sees the current state (the
   * card and the announcement the crash cut off). Returns how many audit entries were added.
   */
  async reconcile(record: RotationRecord): Promise<number> {
    const unmatched = new Map<string, number>();
    for (const e of await this.store.listAudit(record.id)) {
      const key = trailKey(e.at, e.actor, e.action);
      unmatched.set(key, (unmatched.get(key) ?? 0) + 1);
    }
    let added = 0;
    for (const line of record.history) {
      const action = `rotation.${line.action}`;
      const key = trailKey(line.at, line.actor, action);
      const left = unmatched.get(key) ?? 0;
      if (left > 0) {
        unmatched.set(key, left - 1);
        continue;
      }
      const via = viaOf(record, line.actor, line.action);
      await this.store.appendAudit({
        subject: record.id,
        at: line.at,
        actor: line.actor,
        action,
        detail: `${line.detail ? `${line.detail} ` : ''}(recorded after a restart)`,
        ...(via ? { via } : {}),
      });
      added++;
    }
    if (added === 0) return 0;
    this.logger?.info({ rotation: record.id, added }, 'rotation audit trail completed after a restart');
    // The listener runs after the audit entry, so a missing entry means it never saw this state. Only then:
    // its decision texts are not idempotent across restarts (delivered outbox items are gone).
    try {
      await this.listener(record);
    } catch {
      // As in after(): the card catches up on the next change.
    }
    return added;
  }

  private async after(record: RotationRecord, audit?: AuditNote): Promise<void> {
    const fields = {
      rotation: record.id,
      vault: record.plan.vault,
      secret: record.plan.secret,
      state: record.state,
    };
    if (record.state === 'failed') {
      this.logger?.warn(
        { ...fields, step: record.execution.failedStep, error: record.execution.error },
        'rotation failed',
      );
    } else if (audit) {
      this.logger?.info({ ...fields, actor: audit.actor, action: audit.action }, 'rotation changed');
    }
    if (audit) {
      await this.store.appendAudit({
        subject: record.id,
        at: record.updatedAt,
        actor: audit.actor,
        action: audit.action,
        ...(audit.detail ? { detail: audit.detail } : {}),
        ...(audit.via ? { via: audit.via } : {}),
      });
    }
    try {
      await this.listener(record);
    } catch {
      // A failing card update must not undo or block the state change; the card is re-rendered on the next one.
    }
  }
}

export interface AuditNote {
  readonly actor: string;
  readonly action: string;
  readonly detail?: string;
  readonly via?: string;
}

function trailKey(at: string, actor: string, action: string): string {
  return `${at}|${actor}|${action}`;
}

/** The chat account behind a decision line (approvals and denials carry one). */
function viaOf(record: RotationRecord, person: string, action: string): string | undefined {
  if (action === 'denied' || action === 'withdrawn')
    return record.denial?.person === person ? record.denial.via : undefined;
  if (action === 'approved') return record.approvals.find((a) => a.person === person)?.via;
  return undefined;
}
