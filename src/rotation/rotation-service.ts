import { randomBytes } from 'node:crypto';
import type { ChatActor } from '../chat/chat-surface.js';
import type { Directory } from '../config/directory.js';
import { VAULT_NAME } from '../config/load.js';
import {
  ErrorCode,
  InvalidParameterError,
  InvalidTransitionError,
  isCodedError,
  KvWardenError,
  NotAuthorisedError,
  NotFoundError,
  UsageError,
} from '../errors.js';
import type { Store } from '../store/store.js';
import type { Clock } from '../util/clock.js';
import type { Logger } from '../util/logger.js';
import { applyApproval, applyDenial, type DecisionResult } from './approval-rules.js';
import type { SecretVault, StorageKeyRotator } from './ports.js';
import { RotationExecutor } from './rotation-executor.js';
import { planHash, planRotation } from './rotation-plan.js';
import { EXECUTING_STATES, isTerminal, type RotationRecord } from './rotation-record.js';
import { type RotationListener, RotationRepo, type StoredRotation } from './rotation-repo.js';

export interface RotationServiceDeps {
  readonly store: Store;
  readonly vault: SecretVault;
  readonly rotator: StorageKeyRotator;
  readonly directory: Directory;
  readonly clock: Clock;
  readonly config: { readonly requestTtlMs: number; readonly approvalsRequired: number };
  /** Called after every change (request, decision, each execution step): re-render and post/update the card. */
  readonly onChange?: RotationListener;
  readonly newId?: () => string;
  /** Step and decision log lines (ids, states, people; never values). */
  readonly logger?: Pick<Logger, 'info' | 'warn'>;
}

const SECRET_NAME = /^[0-9a-zA-Z-]{1,127}$/;
const CAS_ATTEMPTS = 10;
/** How far back start-up looks for rotations whose last change a crash may have left unaudited. */
const RECONCILE_WINDOW_MS = 7 * 86_400_000;

/**
 * The two-person rotation workflow (DESIGN §4.6): request → approve/deny/expire → execute.
 * Every change is a CAS write on the rotation document plus an audit-trail entry.
 */
export class RotationService {
  private readonly repo: RotationRepo;
  private readonly executor: RotationExecutor;
  private readonly newId: () => string;

  constructor(private readonly deps: RotationServiceDeps) {
    this.repo = new RotationRepo(deps.store, deps.onChange, deps.logger);
    this.executor = new RotationExecutor({
      repo: this.repo,
      vault: deps.vault,
      rotator: deps.rotator,
      clock: deps.clock,
    });
    this.newId =
      deps.newId ?? (() => `rot-${deps.clock.now().toString(36)}-${randomBytes(4).toString('hex')}`);
  }

  /** `/kv rotate <vault> <secret> <reason…>` by a requester: reads the secret's properties and tags, stores the plan. */
  async request(actor: ChatActor, vault: string, secret: string, reason: string): Promise<RotationRecord> {
    const person = this.deps.directory.resolve(actor);
    if (!VAULT_NAME.test(vault))
      throw new InvalidParameterError('vault', `"${vault}" is not a Key Vault name`);
    if (!SECRET_NAME.test(secret))
      throw new InvalidParameterError('secret', `"${secret}" is not a secret name`);
    if (reason.trim() === '') throw new UsageError('Give a reason: `/kv rotate <vault> <secret> <reason…>`.');
    const vaultName = vault.toLowerCase();
    if (!this.deps.directory.hasRole(person, 'requester', vaultName)) {
      throw new NotAuthorisedError(person.name, 'requester', `request rotations on ${vaultName}`);
    }
    const props = await this.deps.vault.getSecretProperties(vaultName, secret);
    if (!props) throw new NotFoundError(`secret ${secret} in vault ${vaultName}`);
    const active = (await this.repo.list()).find(
      (r) => r.plan.vault === vaultName && r.plan.secret === secret && !isTerminal(r.state),
    );
    if (active) {
      throw new InvalidTransitionError(
        `Rotation ${active.id} of ${vaultName}/${secret} is already ${active.state}.`,
      );
    }
    const nowMs = this.deps.clock.now();
    const plan = planRotation({
      secret: props,
      requester: person.name,
      requestedVia: via(actor),
      reason: reason.trim().slice(0, 500),
      nowMs,
      requestTtlMs: this.deps.config.requestTtlMs,
    });
    const at = new Date(nowMs).toISOString();
    const record: RotationRecord = {
      id: this.newId(),
      plan,
      planHash: planHash(plan),
      state: 'pending',
      approvalsRequired: this.deps.config.approvalsRequired,
      approvals: [],
      execution: { attempt: 0 },
      history: [{ at, actor: person.name, action: 'requested', detail: plan.reason }],
      updatedAt: at,
    };
    const created = await this.repo.create(record, {
      actor: person.name,
      action: 'rotation.requested',
      detail: `${vaultName}/${secret} version ${plan.secretVersion}: regenerate ${plan.keyToRegenerate} of ${plan.storageAccountName}; reason: ${plan.reason}`,
      via: via(actor),
    });
    if (!created) throw new InvalidTransitionError(`rotation id ${record.id} already exists`);
    return created.value;
  }

  /**
   * An approval of the plan with hash `hash`. When it is the last one needed, the rotation executes;
   * `execution` resolves when it finished (done or failed). Two approvers at once: one execution.
   */
  async approve(
    actor: ChatActor,
    id: string,
    hash: string,
  ): Promise<{ rotation: RotationRecord; execution?: Promise<RotationRecord> }> {
    const person = this.deps.directory.resolve(actor);
    const written = await this.decide(id, (record) =>
      applyApproval({
        record,
        person,
        via: via(actor),
        planHash: hash,
        nowMs: this.deps.clock.now(),
        directory: this.deps.directory,
      }),
    );
    const rotation = written.value;
    if (rotation.state !== 'approved') return { rotation };
    return { rotation, execution: this.executor.run(id) };
  }

  /** A deny by an approver (or a withdrawal by the requester) ends the request. */
  async deny(actor: ChatActor, id: string, hash: string, reason?: string): Promise<RotationRecord> {
    const person = this.deps.directory.resolve(actor);
    const written = await this.decide(id, (record) =>
      applyDenial({
        record,
        person,
        via: via(actor),
        planHash: hash,
        nowMs: this.deps.clock.now(),
        directory: this.deps.directory,
        ...(reason === undefined ? {} : { reason }),
      }),
    );
    return written.value;
  }

  async get(id: string): Promise<RotationRecord | undefined> {
    return (await this.repo.get(id))?.value;
  }

  /** Rotations, newest request first. */
  async list(options: { limit?: number } = {}): Promise<RotationRecord[]> {
    const all = (await this.repo.list()).sort((a, b) => (a.plan.requestedAt < b.plan.requestedAt ? 1 : -1));
    return options.limit === undefined ? all : all.slice(0, options.limit);
  }

  /**
   * Rotations the actor may see, newest first: those on vaults where they are a viewer, requester or approver
   * (deny by default: a mapped person without such a role sees none). Throws UnknownUserError when unmapped.
   */
  async listVisibleTo(actor: ChatActor, options: { limit?: number } = {}): Promise<RotationRecord[]> {
    const { directory } = this.deps;
    const person = directory.resolve(actor);
    const visible = (await this.list()).filter((r) =>
      (['viewer', 'requester', 'approver'] as const).some((role) =>
        directory.hasRole(person, role, r.plan.vault),
      ),
    );
    return options.limit === undefined ? visible : visible.slice(0, options.limit);
  }

  /** Moves pending requests past their expiry to `expired`. Call periodically. */
  async expireStale(): Promise<RotationRecord[]> {
    const nowMs = this.deps.clock.now();
    const out: RotationRecord[] = [];
    for (const r of await this.repo.list()) {
      if (r.state !== 'pending' || nowMs < Date.parse(r.plan.expiresAt)) continue;
      const cur = await this.repo.get(r.id);
      if (cur?.value.state !== 'pending') continue;
      const at = new Date(nowMs).toISOString();
      const next: RotationRecord = {
        ...cur.value,
        state: 'expired',
        updatedAt: at,
        history: [
          ...cur.value.history,
          { at, actor: 'system', action: 'expired', detail: 'not approved in time' },
        ],
      };
      try {
        out.push((await this.repo.write(cur, next, { actor: 'system', action: 'rotation.expired' })).value);
      } catch (err) {
        if (!(isCodedError(err) && err.code === ErrorCode.Conflict)) throw err;
      }
    }
    return out;
  }

  /** Runs (or resumes) the execution of an approved rotation. */
  execute(id: string): Promise<RotationRecord> {
    return this.executor.run(id);
  }

  /**
   * At start-up: completes what a crash cut off and resumes every rotation left between `approved` and
   * `done`. First, rotations changed in the last week get any audit entry and card update that a crash
   * between their last write and its after-effects lost (see RotationRepo.reconcile); then the executing
   * ones run on. With several replicas, pass `olderThanMs` so a rotation another replica is working on
   * right now is left alone.
   */
  async resumeIncomplete(options: { olderThanMs?: number } = {}): Promise<RotationRecord[]> {
    const now = this.deps.clock.now();
    const cutoff = now - (options.olderThanMs ?? 0);
    const settled = (await this.repo.list()).filter((r) => Date.parse(r.updatedAt) <= cutoff);
    for (const r of settled) {
      if (EXECUTING_STATES.includes(r.state) || Date.parse(r.updatedAt) >= now - RECONCILE_WINDOW_MS)
        await this.repo.reconcile(r);
    }
    const stuck = settled.filter((r) => EXECUTING_STATES.includes(r.state));
    const out: RotationRecord[] = [];
    for (const r of stuck) out.push(await this.executor.run(r.id));
    return out;
  }

  /** Applies a decision with CAS, re-reading and re-deciding on conflict; an expiry found on the way is persisted. */
  private async decide(
    id: string,
    apply: (record: RotationRecord) => DecisionResult,
  ): Promise<StoredRotation> {
    for (let attempt = 0; ; attempt++) {
      const current = await this.repo.get(id);
      if (!current) throw new NotFoundError(`rotation ${id}`);
      const result = apply(current.value);
      const last = result.next.history[result.next.history.length - 1];
      try {
        const written = await this.repo.write(current, result.next, {
          actor: last?.actor ?? 'system',
          action: `rotation.${last?.action ?? result.next.state}`,
          ...(last?.detail ? { detail: last.detail } : {}),
          ...(result.kind === 'ok' && last?.actor !== 'system'
            ? { via: decisionVia(result.next, last?.actor) }
            : {}),
        });
        if (result.kind === 'expired') {
          throw new KvWardenError(
            ErrorCode.RotationExpired,
            `Rotation ${id} expired at ${current.value.plan.expiresAt}; request it again.`,
          );
        }
        return written;
      } catch (err) {
        if (isCodedError(err) && err.code === ErrorCode.Conflict && attempt < CAS_ATTEMPTS) continue;
        throw err;
      }
    }
  }
}

/** The chat account a person used, as stored in decisions and the audit trail. */
export function via(actor: ChatActor): string {
  return `${actor.surface}:${actor.userId}`;
}

function decisionVia(record: RotationRecord, person: string | undefined): string | undefined {
  if (record.denial?.person === person) return record.denial?.via;
  return record.approvals.find((a) => a.person === person)?.via;
}
