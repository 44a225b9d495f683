import type { VaultNotice } from '../audit/audit-event.js';
import { casUpdate, type Store } from '../store/store.js';
import type { Clock } from '../util/clock.js';
import { ALERTS, type Alert, FINGERPRINTS, SYSTEM_ACTOR } from './alert.js';
import { formatTime } from './alert-card.js';
import {
  ACCESS_POLICY_RULES,
  mergeCorroborations,
  POLICY_NOTICES,
  type PolicyNotice,
  policyNoticeId,
  policyNoticeOf,
  policyNoticePrefix,
} from './policy-notices.js';

export interface PolicyNoticeLinkerDeps {
  readonly store: Store;
  readonly clock: Clock;
  /** Queues the alert's card (create or update). */
  readonly publish: (alert: Alert) => Promise<void>;
}

/**
 * Links `VaultAccessPolicyChanged` notices to access-policy alerts (see policy-notices.ts), whichever
 * arrives first. Each side writes before it reads the other — a notice is stored before alerts are looked
 * up, an alert is saved before notices are looked up — so of two replicas handling the two at once, at
 * least one sees the other. Linking is idempotent by notice id (redelivery changes nothing).
 */
export class PolicyNoticeLinker {
  constructor(private readonly deps: PolicyNoticeLinkerDeps) {}

  /**
   * A notice arrived: kept for alerts raised later, and linked to the current alert of each access-policy
   * fingerprint on its vault that it matches (their cards are updated). Returns how many alerts it joined.
   */
  async receive(vaultNotice: VaultNotice): Promise<number> {
    const { store } = this.deps;
    const notice = policyNoticeOf(vaultNotice);
    await store.create(POLICY_NOTICES, policyNoticeId(notice), notice);
    let linked = 0;
    for (const rule of ACCESS_POLICY_RULES) {
      const pointers = await store.list<{ alertId: string }>(FINGERPRINTS, {
        prefix: `${rule}|${notice.vault}|`,
      });
      for (const p of pointers) {
        const alert = (await store.get<Alert>(ALERTS, p.value.alertId))?.value;
        if (alert && (await this.link(alert, [notice], true)) !== alert) linked++;
      }
    }
    return linked;
  }

  /**
   * After an access-policy alert was saved, before its card is queued: links the stored notices of its vault
   * that match it. Returns the alert as stored afterwards (the one given when nothing new matched).
   */
  async linkPending(alert: Alert): Promise<Alert> {
    if (!(ACCESS_POLICY_RULES as readonly string[]).includes(alert.rule)) return alert;
    const stored = await this.deps.store.list<PolicyNotice>(POLICY_NOTICES, {
      prefix: policyNoticePrefix(alert.vault),
    });
    if (stored.length === 0) return alert;
    return this.link(
      alert,
      stored.map((s) => s.value),
      false,
    );
  }

  /** Forgets notices with event time before `beforeMs` (run with the seen-key pruning). */
  async prune(beforeMs: number): Promise<number> {
    let removed = 0;
    for (const { id, value, version } of await this.deps.store.list<PolicyNotice>(POLICY_NOTICES)) {
      if (value.timeMs >= beforeMs) continue;
      try {
        await this.deps.store.delete(POLICY_NOTICES, id, version);
        removed++;
      } catch (err) {
        if ((err as { code?: string }).code !== 'KVW_CONFLICT') throw err;
      }
    }
    return removed;
  }

  /** Adds the matching notices to the alert (CAS) and records each in its audit trail; queues the card if asked. */
  private async link(alert: Alert, notices: readonly PolicyNotice[], publish: boolean): Promise<Alert> {
    if (!mergeCorroborations(alert, notices)) return alert;
    let added: PolicyNotice[] = [];
    const saved = await casUpdate<Alert>(this.deps.store, ALERTS, alert.id, (current) => {
      added = [];
      const corroborations = mergeCorroborations(current, notices);
      if (!corroborations) return undefined;
      const before = new Set((current.corroborations ?? []).map((c) => c.id));
      added = notices.filter((n) => !before.has(n.id) && corroborations.some((c) => c.id === n.id));
      return { ...current, corroborations, version: current.version + 1 };
    });
    if (!saved || added.length === 0) return saved?.value ?? alert;
    for (const n of added)
      await this.deps.store.appendAudit({
        subject: alert.id,
        at: new Date(this.deps.clock.now()).toISOString(),
        actor: SYSTEM_ACTOR,
        action: 'corroborate',
        detail: `confirmed by Event Grid ${n.type} at ${formatTime(n.time)} (event ${n.id})`,
      });
    if (publish) await this.deps.publish(saved.value);
    return saved.value;
  }
}
