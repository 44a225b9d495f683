import { renderCard } from '../chat/cards/render-card.js';
import type { CardMessage } from '../chat/chat-surface.js';
import { PIVOT_SINCE, pivotTargets } from '../queries/pivot-actions.js';
import type { Alert, HistoryEntry } from './alert.js';
import { allowedActions } from './lifecycle.js';

/** Alert card verbs (Action.Execute). `alert.refresh` is the Universal Actions refresh. */
export const ALERT_VERBS = {
  acknowledge: 'alert.ack',
  close: 'alert.close',
  escalate: 'alert.escalate',
  reopen: 'alert.reopen',
  refresh: 'alert.refresh',
} as const;

const STATE_LABEL: Record<Alert['state'], string> = {
  open: 'Open',
  acknowledged: 'Acknowledged',
  closed: 'Closed',
};

const ACTION_PAST: Record<HistoryEntry['action'], string> = {
  open: 'opened',
  regroup: 'reopened on a new detection',
  acknowledge: 'acknowledged',
  close: 'closed',
  escalate: 'escalated',
  reopen: 'reopened',
};

/** How this kv-warden draws alert cards; fixed at start-up, so a card stays a function of the alert. */
export interface AlertCardOptions {
  /** Pivot buttons (this caller's activity, this IP's history): on when the queries feature runs. */
  readonly pivots?: boolean;
}

/** The alert card for the alert's current state: a pure function of the document (and the options). */
export function renderAlertCard(alert: Alert, options: AlertCardOptions = {}): CardMessage {
  return { card: renderCard('alert', alertCardData(alert, options)), text: alertText(alert) };
}

/** The view model the `cards/alert.json` template binds to (every field present, all strings/booleans). */
export function alertCardData(alert: Alert, options: AlertCardOptions = {}): Record<string, unknown> {
  const allowed = allowedActions(alert);
  // Pivots only read, so they are offered in every state, closed included.
  const pivots = options.pivots === true ? pivotTargets(alert) : {};
  const evidence = Object.entries(alert.evidence).map(([title, value]) => ({
    title: inert(title),
    value: inert(String(value)),
  }));
  const confirmed = corroborationText(alert);
  if (confirmed) evidence.push({ title: 'Confirmed by Event Grid', value: confirmed });
  const history = alert.history.map((h) => ({ line: inert(historyLine(h)) }));
  const last = alert.history.at(-1);
  return {
    alertId: alert.id,
    title: `${severityMark(alert.severity)} ${alert.severity.toUpperCase()} · ${alert.rule} · ${alert.vault}`,
    statusLine: statusLine(alert, last),
    statusColor: alert.state === 'closed' ? 'Good' : alert.escalated ? 'Attention' : 'Warning',
    summary: inert(alert.summary),
    rule: alert.rule,
    severity: alert.severity,
    vault: alert.vault,
    principal: inert(principalLabel(alert)),
    count: String(alert.count),
    firstSeen: formatTime(alert.firstSeen),
    lastSeen: formatTime(alert.lastSeen),
    hasEvidence: evidence.length > 0,
    evidence,
    hasClosure: alert.state === 'closed' && alert.classification !== undefined,
    closure:
      alert.state === 'closed' && alert.classification !== undefined
        ? `Classification: ${alert.classification} — ${inert(alert.closeReason ?? '')}`
        : '',
    hasHistory: history.length > 0,
    history,
    canAcknowledge: allowed.has('acknowledge'),
    canClose: allowed.has('close'),
    canEscalate: allowed.has('escalate'),
    canReopen: allowed.has('reopen'),
    hasCallerPivot: pivots.caller !== undefined,
    pivotCaller: pivots.caller ?? '',
    hasIpPivot: pivots.ip !== undefined,
    pivotIp: pivots.ip ?? '',
    pivotSince: PIVOT_SINCE,
  };
}

/** "VaultAccessPolicyChanged at 2025-06-02 11:02:11 UTC; …" for the notices linked to the alert. */
function corroborationText(alert: Alert): string {
  // Types and times only: the event id is in the audit trail.
  return (alert.corroborations ?? []).map((c) => `${inert(c.type)} at ${formatTime(c.time)}`).join('; ');
}

/** Plain-text fallback and notification text. */
export function alertText(alert: Alert): string {
  const state = alert.escalated && alert.state !== 'closed' ? `${alert.state}, escalated` : alert.state;
  return `[${alert.severity}] ${alert.rule} on ${alert.vault}: ${alert.summary} (${state}, ×${alert.count})`;
}

/** "Alice acknowledged this at 2025-06-02 10:02 UTC" — used on cards and in race notices. */
export function describeEntry(h: HistoryEntry): string {
  return `${h.displayName} ${ACTION_PAST[h.action]} this at ${formatTime(h.at)}`;
}

function statusLine(alert: Alert, last: HistoryEntry | undefined): string {
  const label =
    STATE_LABEL[alert.state] + (alert.escalated && alert.state !== 'closed' ? ' · Escalated' : '');
  if (!last || last.action === 'open') return label;
  return `${label} — ${describeEntry(last)}`;
}

function historyLine(h: HistoryEntry): string {
  const who = h.via ? `${h.displayName} (${h.via})` : h.displayName;
  const why = h.comment ? `: ${h.comment}` : '';
  return `${formatTime(h.at)} — ${who} ${ACTION_PAST[h.action]}${why}`;
}

function principalLabel(alert: Alert): string {
  const parts = [alert.principalUpn, alert.principal];
  if (alert.appId && alert.appId !== alert.principal) parts.push(`app ${alert.appId}`);
  if (alert.ip && alert.ip !== alert.principal) parts.push(`ip ${alert.ip}`);
  return parts.filter((p): p is string => p !== undefined && p !== '').join(' · ');
}

function severityMark(severity: Alert['severity']): string {
  return severity === 'critical' || severity === 'high' ? '🔴' : severity === 'medium' ? '🟠' : '🟡';
}

/**
 * Audit data (user agents, request URIs) and typed reasons are attacker-influenced; card text is
 * markdown in Teams and Slack. A zero-width space between `]` and `(` keeps the text readable but
 * stops `[text](url)` from becoming a disguised link.
 */
export function inert(text: string): string {
  return text.replace(/\]\s*\(/g, (m) => `]\u200b${m.slice(1)}`);
}

/** `2025-06-02 10:02:05 UTC`: fixed zone so a card is a pure function of state. */
export function formatTime(iso: string): string {
  const ms = Date.parse(iso);
  if (Number.isNaN(ms)) return iso;
  return `${new Date(ms).toISOString().slice(0, 19).replace('T', ' ')} UTC`;
}
