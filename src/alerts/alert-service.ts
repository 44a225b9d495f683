import type { VaultNotice } from '../audit/audit-event.js';
import type {
  ActionOutcome,
  CardMessage,
  ChatActor,
  InboundAction,
  SurfaceName,
} from '../chat/chat-surface.js';
import type { Directory, Person } from '../config/directory.js';
import type { Config } from '../config/load.js';
import type { Detection } from '../detect/detection.js';
import { fingerprintOf } from '../detect/detection.js';
import { severityRank } from '../detect/rule-ids.js';
import { isCodedError, NotFoundError, UnknownUserError } from '../errors.js';
import type { Store, Versioned } from '../store/store.js';
import type { Clock } from '../util/clock.js';
import type { Logger } from '../util/logger.js';
import type { Metrics } from '../util/metrics.js';
import { ALERTS, type Alert, type AlertAction, FINGERPRINTS, SYSTEM_ACTOR } from './alert.js';
import { ALERT_VERBS, type AlertCardOptions, describeEntry, renderAlertCard } from './alert-card.js';
import { publishTransitionEffects } from './effects.js';
import { alertIdFor, belongsToGroup, detectionIdOf, mergeDetection, newAlert } from './grouping.js';
import { type TransitionActor, type TransitionRequest, transition } from './lifecycle.js';
import type { Outbox } from './outbox.js';
import { PolicyNoticeLinker } from './policy-notice-linker.js';
import { routeAlert } from './routing.js';

export { ALERTS, FINGERPRINTS } from './alert.js';

export interface AlertServiceDeps {
  readonly store: Store;
  readonly clock: Clock;
  readonly config: Pick<Config, 'vaults' | 'chat' | 'escalation' | 'detection'>;
  readonly directory: Directory;
  readonly outbox: Outbox;
  /** Surfaces cards go to; defaults to the outbox's surfaces. */
  readonly surfaces?: readonly SurfaceName[];
  readonly metrics?: Metrics;
  readonly logger?: Pick<Logger, 'info' | 'warn'>;
}

/** What `record` did with one detection. */
export interface RecordResult {
  readonly alert: Alert;
  readonly change: 'created' | 'grouped' | 'reopened' | 'duplicate';
}

const VERB_ACTIONS: Record<string, AlertAction> = {
  [ALERT_VERBS.acknowledge]: 'acknowledge',
  [ALERT_VERBS.close]: 'close',
  [ALERT_VERBS.escalate]: 'escalate',
  [ALERT_VERBS.reopen]: 'reopen',
};

const ALERT_ID = /^A-[0-9A-F]{10}$/;

/**
 * The alert domain: detections become alerts (grouped by fingerprint), people move them through
 * the lifecycle, every change is a conditional write, persisted before its card or escalation is queued.
 */
export class AlertService {
  private cardOptions: AlertCardOptions = {};
  private readonly policyNotices: PolicyNoticeLinker;

  constructor(private readonly deps: AlertServiceDeps) {
    this.policyNotices = new PolicyNoticeLinker({
      store: deps.store,
      clock: deps.clock,
      publish: (alert) => this.publish(alert),
    });
  }

  /**
   * Alert cards carry the pivot buttons (`query.run`) from now on. The queries feature calls this when
   * it registers the `query.*` actions, before the app starts, so every card drawn agrees.
   */
  enablePivots(): void {
    this.cardOptions = { ...this.cardOptions, pivots: true };
  }

  /** The card for an alert as this kv-warden draws it. */
  renderCard(alert: Alert): CardMessage {
    return renderAlertCard(alert, this.cardOptions);
  }

  private get surfaces(): readonly SurfaceName[] {
    return this.deps.surfaces ?? this.deps.outbox.surfaceNames();
  }

  /** Persists detections as alerts (new, grouped into the alert of their fingerprint, or reopened) and queues their cards. */
  async record(detections: readonly Detection[]): Promise<RecordResult[]> {
    const out: RecordResult[] = [];
    for (const d of detections) out.push(await this.recordOne(d));
    return out;
  }

  private async recordOne(d: Detection): Promise<RecordResult> {
    const { store, clock } = this.deps;
    const fingerprint = fingerprintOf(d);
    const detectionId = detectionIdOf(d);
    const windowMs = this.deps.config.detection.groupingWindow;
    for (let attempt = 0; attempt < 20; attempt++) {
      const pointer = await store.get<{ alertId: string }>(FINGERPRINTS, fingerprint);
      let id: string;
      if (pointer) {
        const current = await store.get<Alert>(ALERTS, pointer.value.alertId);
        if (current) {
          const alert = current.value;
          if (alert.detectionIds.includes(detectionId)) {
            // Idempotent; re-queues a card (and a notice link) lost to a crash.
            const linked = await this.policyNotices.linkPending(alert);
            await this.publish(linked);
            return { alert: linked, change: 'duplicate' };
          }
          if (belongsToGroup(alert, d, windowMs)) {
            const merged = mergeDetection(alert, d, clock.now());
            const updated = await this.tryUpdate(current, merged.alert);
            if (!updated) continue;
            if (merged.reopened)
              await this.audit(updated, 'reopen', SYSTEM_ACTOR, 'detected again after close');
            const saved = await this.policyNotices.linkPending(updated);
            await this.publish(saved);
            return { alert: saved, change: merged.reopened ? 'reopened' : 'grouped' };
          }
          // Outside the window: a new alert takes over the fingerprint.
          id = alertIdFor(fingerprint, d);
          if (!(await this.tryUpdate(pointer, { alertId: id }, FINGERPRINTS, fingerprint))) continue;
        } else {
          id = pointer.value.alertId; // claimed but not created (a crash in between): create it now
        }
      } else {
        id = alertIdFor(fingerprint, d);
        if (!(await store.create(FINGERPRINTS, fingerprint, { alertId: id }))) continue;
      }
      const created = await store.create<Alert>(ALERTS, id, newAlert(id, fingerprint, d, clock.now()));
      if (!created) continue; // another replica created it first: join it on the next pass
      this.deps.metrics?.alertsByRule.inc({ rule: d.rule });
      await this.audit(created.value, 'open', SYSTEM_ACTOR, d.summary);
      const saved = await this.policyNotices.linkPending(created.value);
      await this.publish(saved);
      return { alert: saved, change: 'created' };
    }
    throw new Error(`could not record detection for ${fingerprint}: too many concurrent changes`);
  }

  /**
   * A Key Vault `VaultAccessPolicyChanged` Event Grid notice: never an alert of its own. It is kept, and
   * linked as a corroboration to the access-policy alerts of the same change (their cards are updated),
   * now or when such an alert is raised later. Redelivery is harmless. Returns how many alerts it joined now.
   */
  corroborate(notice: VaultNotice): Promise<number> {
    return this.policyNotices.receive(notice);
  }

  /** Forgets policy notices with event time before `beforeMs` (with the seen-key pruning). */
  prunePolicyNotices(beforeMs: number): Promise<number> {
    return this.policyNotices.prune(beforeMs);
  }

  /**
   * A click on an alert card. Unknown people and non-responders change nothing and are told why;
   * the loser of a race gets the current card and who acted first.
   */
  async act(actor: ChatActor, action: InboundAction): Promise<ActionOutcome> {
    const alertId = typeof action.data.alertId === 'string' ? action.data.alertId : '';
    if (!ALERT_ID.test(alertId))
      return { notice: 'This card does not name a valid alert. Nothing was changed.' };
    let current = await this.deps.store.get<Alert>(ALERTS, alertId);
    if (!current) return { notice: new NotFoundError(`alert ${alertId}`).userMessage };
    if (action.verb === ALERT_VERBS.refresh) return { card: this.renderCard(current.value) };
    const alertAction = VERB_ACTIONS[action.verb];
    if (!alertAction)
      return {
        card: this.renderCard(current.value),
        notice: `Unknown alert action "${action.verb.slice(0, 40)}".`,
      };

    let person: Person;
    try {
      person = this.deps.directory.resolve(actor);
    } catch (err) {
      if (err instanceof UnknownUserError)
        return { card: this.renderCard(current.value), notice: err.userMessage };
      throw err;
    }
    const request = this.requestFor(alertAction, person, actor, action, current.value.vault);
    for (let attempt = 0; attempt < 10; attempt++) {
      const result = transition(current.value, request);
      if (!result.ok) {
        if (result.refusal === 'not-authorised') {
          this.deps.logger?.warn(
            { alertId, action: alertAction, person: person.name },
            'alert action refused: not a responder',
          );
        }
        return { card: this.renderCard(current.value), notice: this.refusalNotice(current.value, result) };
      }
      const saved = await this.tryUpdate(current, result.alert);
      if (saved) {
        await this.afterTransition(current.value, saved, request);
        return { card: this.renderCard(saved) };
      }
      const reread = await this.deps.store.get<Alert>(ALERTS, alertId);
      if (!reread) return { notice: new NotFoundError(`alert ${alertId}`).userMessage };
      current = reread;
    }
    return { card: this.renderCard(current.value), notice: 'The alert is changing too fast; try again.' };
  }

  /** Alerts that are not closed, most severe and most recent first. */
  async listOpen(): Promise<Alert[]> {
    const all = await this.deps.store.list<Alert>(ALERTS);
    return all
      .map((a) => a.value)
      .filter((a) => a.state !== 'closed')
      .sort((a, b) => severityRank(b.severity) - severityRank(a.severity) || b.lastSeenMs - a.lastSeenMs);
  }

  async get(alertId: string): Promise<Alert | undefined> {
    return (await this.deps.store.get<Alert>(ALERTS, alertId))?.value;
  }

  /** Escalates (as `system`) alerts still open `escalation.autoEscalateAfter` after they were opened. Returns their ids. */
  async sweep(nowMs: number): Promise<string[]> {
    const after = this.deps.config.escalation.autoEscalateAfter;
    if (after === undefined) return [];
    const escalated: string[] = [];
    for (const { id, value, version } of await this.deps.store.list<Alert>(ALERTS)) {
      if (value.state !== 'open' || value.escalated || nowMs - value.openedAtMs < after) continue;
      const request: TransitionRequest = {
        action: 'escalate',
        actor: { kind: 'system', name: SYSTEM_ACTOR, displayName: 'kv-warden' },
        at: new Date(nowMs).toISOString(),
        atMs: nowMs,
        comment: `still open after ${Math.round(after / 60_000)} min`,
      };
      const result = transition(value, request);
      if (!result.ok) continue;
      const saved = await this.tryUpdate({ version }, result.alert);
      if (!saved) continue; // someone acted on it meanwhile; the next sweep looks again
      await this.afterTransition(value, saved, request);
      escalated.push(id);
    }
    return escalated;
  }

  private requestFor(
    action: AlertAction,
    person: Person,
    actor: ChatActor,
    inbound: InboundAction,
    vault: string,
  ): TransitionRequest {
    const kind = this.deps.directory.hasRole(person, 'responder', vault) ? 'responder' : 'non-responder';
    const who: TransitionActor = {
      kind,
      name: person.name,
      displayName: person.displayName,
      via: `${actor.surface}:${actor.userId}`,
    };
    const nowMs = this.deps.clock.now();
    const input = (name: string): string | undefined => {
      const v = inbound.inputs?.[name] ?? inbound.data[name];
      return typeof v === 'string' ? v : undefined;
    };
    return {
      action,
      actor: who,
      at: new Date(nowMs).toISOString(),
      atMs: nowMs,
      comment: input('comment'),
      classification: input('classification'),
      reason: input('reason'),
    };
  }

  private refusalNotice(alert: Alert, result: { refusal: string; message: string }): string {
    if (result.refusal !== 'invalid-transition') return result.message;
    const last = alert.history.at(-1);
    if (last && last.action !== 'open') return `${describeEntry(last)} — you are seeing the current state.`;
    return `${result.message} You are seeing the current state.`;
  }

  private async afterTransition(before: Alert, after: Alert, req: TransitionRequest): Promise<void> {
    const detail =
      req.action === 'close'
        ? `${req.classification}: ${after.closeReason ?? ''}`
        : (after.history.at(-1)?.comment ?? undefined);
    await this.audit(after, req.action, req.actor.name, detail, req.actor.via);
    await this.publish(after);
    await publishTransitionEffects(
      { outbox: this.deps.outbox, config: this.deps.config, surfaces: this.surfaces },
      before,
      after,
      req,
    );
    this.deps.logger?.info(
      { alertId: after.id, action: req.action, actor: req.actor.name },
      'alert transition',
    );
  }

  private async publish(alert: Alert): Promise<void> {
    const message = this.renderCard(alert);
    for (const route of routeAlert(this.deps.config, this.surfaces, alert)) {
      await this.deps.outbox.publishCard(alert.id, route, message, alert.version);
    }
  }

  private async audit(
    alert: Alert,
    action: string,
    actor: string,
    detail?: string,
    via?: string,
  ): Promise<void> {
    await this.deps.store.appendAudit({
      subject: alert.id,
      at: new Date(this.deps.clock.now()).toISOString(),
      actor,
      action,
      ...(detail !== undefined && { detail }),
      ...(via !== undefined && { via }),
    });
  }

  /** CAS write; undefined when another writer won (the caller re-reads and decides again). */
  private async tryUpdate<T>(
    current: Pick<Versioned<unknown>, 'version'>,
    next: T,
    collection = ALERTS,
    id = (next as unknown as Alert).id,
  ): Promise<T | undefined> {
    try {
      return (await this.deps.store.update(collection, id, next, current.version)).value;
    } catch (err) {
      if (isCodedError(err) && err.code === 'KVW_CONFLICT') return undefined;
      throw err;
    }
  }
}
