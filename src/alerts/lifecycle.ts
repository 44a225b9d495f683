import {
  type Alert,
  type AlertAction,
  type AlertState,
  type Classification,
  HISTORY_CAP,
  type HistoryEntry,
  isClassification,
} from './alert.js';

/**
 * The alert lifecycle of DESIGN §4.5 as a pure function: open → acknowledged → closed, `escalated`
 * as a flag raised from open or acknowledged, reopen from closed. No I/O: the service applies the
 * result with a conditional write.
 */

/** How the actor relates to the alert: a responder for its vault, a known person without the role, or kv-warden itself. */
export type ActorKind = 'responder' | 'non-responder' | 'system';

export interface TransitionActor {
  readonly kind: ActorKind;
  /** Person name, or `system`. */
  readonly name: string;
  readonly displayName: string;
  readonly via?: string;
}

export interface TransitionRequest {
  readonly action: AlertAction;
  readonly actor: TransitionActor;
  /** Wall-clock time of the click (ISO) and its ms. */
  readonly at: string;
  readonly atMs: number;
  readonly comment?: string;
  /** Close only. */
  readonly classification?: string;
  readonly reason?: string;
}

export type Refusal = 'not-authorised' | 'invalid-transition' | 'missing-input';

export type TransitionResult =
  | { readonly ok: true; readonly alert: Alert }
  | { readonly ok: false; readonly refusal: Refusal; readonly message: string };

/** States each action may start from. */
const FROM: Record<AlertAction, readonly AlertState[]> = {
  acknowledge: ['open'],
  close: ['open', 'acknowledged'],
  escalate: ['open', 'acknowledged'],
  reopen: ['closed'],
};

/** What each kind of actor may do. kv-warden itself escalates (autoEscalateAfter) and reopens (a repeat after close). */
const MAY: Record<ActorKind, ReadonlySet<AlertAction>> = {
  responder: new Set(['acknowledge', 'close', 'escalate', 'reopen']),
  'non-responder': new Set(),
  system: new Set(['escalate', 'reopen']),
};

export const REASON_MAX = 500;
export const COMMENT_MAX = 500;

/** Actions that apply to the alert's state (the buttons its card shows). */
export function allowedActions(alert: Pick<Alert, 'state' | 'escalated'>): Set<AlertAction> {
  const out = new Set<AlertAction>();
  for (const action of Object.keys(FROM) as AlertAction[]) {
    if (appliesTo(alert, action)) out.add(action);
  }
  return out;
}

export function mayPerform(kind: ActorKind, action: AlertAction): boolean {
  return MAY[kind].has(action);
}

function appliesTo(alert: Pick<Alert, 'state' | 'escalated'>, action: AlertAction): boolean {
  if (!FROM[action].includes(alert.state)) return false;
  return action !== 'escalate' || !alert.escalated;
}

/** Applies one transition, or says why it is refused. Authorization is checked before state. */
export function transition(alert: Alert, req: TransitionRequest): TransitionResult {
  if (!mayPerform(req.actor.kind, req.action)) {
    return {
      ok: false,
      refusal: 'not-authorised',
      message: `You are not authorised to ${req.action} this alert: it needs the \`responder\` role for ${alert.vault}. Nothing was changed.`,
    };
  }
  if (!appliesTo(alert, req.action)) {
    return { ok: false, refusal: 'invalid-transition', message: invalidMessage(alert, req.action) };
  }
  const comment = clean(req.comment, COMMENT_MAX);
  let next: Alert;
  switch (req.action) {
    case 'acknowledge':
      next = { ...alert, state: 'acknowledged' };
      break;
    case 'escalate':
      next = { ...alert, escalated: true };
      break;
    case 'close': {
      const reason = clean(req.reason, REASON_MAX);
      if (!isClassification(req.classification) || reason === undefined) {
        return {
          ok: false,
          refusal: 'missing-input',
          message:
            'Closing an alert needs a classification (true-positive, benign-positive, false-positive or undetermined) and a reason. Nothing was changed.',
        };
      }
      next = {
        ...alert,
        state: 'closed',
        classification: req.classification as Classification,
        closeReason: reason,
      };
      break;
    }
    case 'reopen': {
      const { classification: _c, closeReason: _r, ...rest } = alert;
      next = { ...rest, state: 'open', escalated: false, openedAtMs: req.atMs };
      break;
    }
  }
  const why = req.action === 'close' ? clean(req.reason, REASON_MAX) : comment;
  const entry: HistoryEntry = {
    action: req.action,
    person: req.actor.name,
    displayName: req.actor.displayName,
    at: req.at,
    ...(req.action === 'close' && { comment: `${req.classification}: ${why}` }),
    ...(req.action !== 'close' && why !== undefined && { comment: why }),
    ...(req.actor.via !== undefined && { via: req.actor.via }),
  };
  return {
    ok: true,
    alert: { ...next, history: appendHistory(alert.history, entry), version: alert.version + 1 },
  };
}

export function appendHistory(history: readonly HistoryEntry[], entry: HistoryEntry): HistoryEntry[] {
  const out = [...history, entry];
  // Keep the first entry (who/when it opened) and the most recent ones.
  return out.length <= HISTORY_CAP
    ? out
    : [out[0] as HistoryEntry, ...out.slice(out.length - HISTORY_CAP + 1)];
}

function invalidMessage(alert: Pick<Alert, 'state' | 'escalated'>, action: AlertAction): string {
  if (action === 'escalate' && alert.escalated && alert.state !== 'closed')
    return 'This alert is already escalated.';
  if (action === 'acknowledge' && alert.state === 'acknowledged')
    return 'This alert is already acknowledged.';
  if (alert.state === 'closed' && action !== 'reopen')
    return `This alert is closed; reopen it to ${action} it.`;
  if (action === 'reopen') return 'This alert is not closed, so it cannot be reopened.';
  return `You cannot ${action} an alert that is ${alert.state}.`;
}

function clean(text: string | undefined, max: number): string | undefined {
  if (text === undefined) return undefined;
  const t = text.replace(/\s+/g, ' ').trim();
  if (t === '') return undefined;
  return t.length > max ? `${t.slice(0, max - 1)}…` : t;
}
