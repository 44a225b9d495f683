import type { VaultNotice } from '../audit/audit-event.js';
import type { RuleId } from '../detect/rule-ids.js';
import { type Alert, CORROBORATIONS_CAP, type Corroboration } from './alert.js';

/**
 * Key Vault's Event Grid `VaultAccessPolicyChanged` notice and the access-policy alerts. The audit record
 * (VaultPut/VaultPatch with the policy diff and the caller) raises the alert; the notice says only that a
 * vault's access policy changed, and when. So a notice never raises or counts anything: it is linked to
 * the alerts raised from the audit record(s) of the same change — same vault, an access-policy rule, time
 * within CORROBORATION_WINDOW_MS — as a corroboration shown on their card. Either may arrive first: notices
 * are kept (collection POLICY_NOTICES, one small document each) until the seen-key retention prunes them,
 * so an alert raised later picks them up.
 */

/** Event Grid types linked to access-policy alerts. */
export const POLICY_NOTICE_TYPES: ReadonlySet<string> = new Set(['VaultAccessPolicyChanged']);

/** Rules whose alerts come from access-policy changes. */
export const ACCESS_POLICY_RULES: readonly RuleId[] = ['access-policy-added', 'access-granted-then-revoked'];

/** How far apart (either way) the notice and the alert's events may be: the same change. */
export const CORROBORATION_WINDOW_MS = 15 * 60_000;

/** Store collection of policy notices received, id `<vault>|<notice id>`. */
export const POLICY_NOTICES = 'policy-notices';

/** A policy notice as stored (and as linked to alerts). */
export interface PolicyNotice extends Corroboration {
  /** Vault name, lower case. */
  readonly vault: string;
}

export function policyNoticeOf(notice: VaultNotice): PolicyNotice {
  return {
    id: notice.id,
    type: notice.type,
    vault: notice.vault.toLowerCase(),
    time: notice.time,
    timeMs: notice.timeMs,
  };
}

export function policyNoticeId(notice: Pick<PolicyNotice, 'vault' | 'id'>): string {
  return `${notice.vault}|${notice.id}`;
}

/** Prefix of the policy notices of one vault in POLICY_NOTICES. */
export function policyNoticePrefix(vault: string): string {
  return `${vault.toLowerCase()}|`;
}

/** Whether the notice can be about the change this alert was raised for. */
export function corroborates(notice: PolicyNotice, alert: Alert): boolean {
  return (
    (ACCESS_POLICY_RULES as readonly string[]).includes(alert.rule) &&
    notice.vault === alert.vault &&
    notice.timeMs >= alert.firstSeenMs - CORROBORATION_WINDOW_MS &&
    notice.timeMs <= alert.lastSeenMs + CORROBORATION_WINDOW_MS
  );
}

/**
 * The alert's corroborations with the matching notices not yet on it added (time order, at most
 * CORROBORATIONS_CAP, the latest kept); undefined when that changes nothing.
 */
export function mergeCorroborations(
  alert: Alert,
  notices: readonly PolicyNotice[],
): Corroboration[] | undefined {
  const current = alert.corroborations ?? [];
  const have = new Set(current.map((c) => c.id));
  const added = notices.filter((n) => !have.has(n.id) && corroborates(n, alert));
  if (added.length === 0) return undefined;
  const merged = [...current, ...added.map(({ id, type, time, timeMs }) => ({ id, type, time, timeMs }))]
    .sort((a, b) => a.timeMs - b.timeMs || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
    .slice(-CORROBORATIONS_CAP);
  const unchanged = merged.length === current.length && merged.every((c, i) => c.id === current[i]?.id);
  return unchanged ? undefined : merged;
}
