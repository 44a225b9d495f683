import type { Directory, Person } from '../config/directory.js';
import { ErrorCode, InvalidTransitionError, KvWardenError, NotAuthorisedError } from '../errors.js';
import type { Decision, RotationRecord } from './rotation-record.js';

/** Why a decision cannot be taken, or the record after it. Pure: the service does the CAS write. */
export type DecisionResult =
  | { readonly kind: 'ok'; readonly next: RotationRecord }
  | { readonly kind: 'expired'; readonly next: RotationRecord };

interface DecisionInput {
  readonly record: RotationRecord;
  readonly person: Person;
  readonly via: string;
  readonly planHash: string;
  readonly nowMs: number;
  readonly directory: Directory;
}

/** Common checks for approve and deny: the request is pending, unexpired, and the click is about this plan. */
function checkOpen(input: DecisionInput, verb: string): DecisionResult | undefined {
  const { record, nowMs } = input;
  if (record.state !== 'pending') {
    const by = [...record.approvals.map((a) => a.person), ...(record.denial ? [record.denial.person] : [])];
    throw new InvalidTransitionError(
      `Cannot ${verb}: rotation ${record.id} is already ${record.state}${by.length > 0 ? ` (decided by ${by.join(', ')})` : ''}.`,
    );
  }
  if (nowMs >= Date.parse(record.plan.expiresAt)) {
    const at = new Date(nowMs).toISOString();
    return {
      kind: 'expired',
      next: {
        ...record,
        state: 'expired',
        updatedAt: at,
        history: [
          ...record.history,
          {
            at,
            actor: 'system',
            action: 'expired',
            detail: `request TTL passed at ${record.plan.expiresAt}`,
          },
        ],
      },
    };
  }
  if (input.planHash !== record.planHash) {
    throw new KvWardenError(
      ErrorCode.RotationPlanChanged,
      `The card you clicked shows a different plan than rotation ${record.id}; look at the current card and decide again.`,
    );
  }
  return undefined;
}

/** Approve rules: pending, unexpired, same plan, another person than the requester, `approver` for the vault, not twice. */
export function applyApproval(input: DecisionInput): DecisionResult {
  const closed = checkOpen(input, 'approve');
  if (closed) return closed;
  const { record, person, directory } = input;
  const requester = directory.byName(record.plan.requester);
  if (person.name === record.plan.requester || (requester && directory.samePerson(requester, person))) {
    throw new KvWardenError(
      ErrorCode.SelfApproval,
      `${person.name} requested rotation ${record.id} and cannot approve it.`,
      {
        userMessage:
          'You requested this rotation, so you cannot approve it (from any of your chat accounts). Another approver must. Nothing was changed.',
      },
    );
  }
  if (!directory.hasRole(person, 'approver', record.plan.vault)) {
    throw new NotAuthorisedError(person.name, 'approver', `approve rotations on ${record.plan.vault}`);
  }
  if (record.approvals.some((a) => a.person === person.name)) {
    throw new InvalidTransitionError(
      `You already approved rotation ${record.id}; another approver is needed.`,
    );
  }
  const at = new Date(input.nowMs).toISOString();
  const approval: Decision = { person: person.name, via: input.via, at, planHash: input.planHash };
  const approvals = [...record.approvals, approval];
  const approved = approvals.length >= record.approvalsRequired;
  return {
    kind: 'ok',
    next: {
      ...record,
      approvals,
      state: approved ? 'approved' : 'pending',
      updatedAt: at,
      history: [
        ...record.history,
        {
          at,
          actor: person.name,
          action: 'approved',
          detail: `${approvals.length} of ${record.approvalsRequired} approvals${approved ? '; executing' : ''}`,
        },
      ],
    },
  };
}

/** Deny rules: pending, unexpired, same plan, `approver` for the vault (the requester may also withdraw). One deny ends it. */
export function applyDenial(input: DecisionInput & { readonly reason?: string }): DecisionResult {
  const closed = checkOpen(input, 'deny');
  if (closed) return closed;
  const { record, person, directory } = input;
  const isRequester = person.name === record.plan.requester;
  if (!isRequester && !directory.hasRole(person, 'approver', record.plan.vault)) {
    throw new NotAuthorisedError(person.name, 'approver', `deny rotations on ${record.plan.vault}`);
  }
  const at = new Date(input.nowMs).toISOString();
  const reason = input.reason?.trim().slice(0, 500);
  const denial: Decision = {
    person: person.name,
    via: input.via,
    at,
    planHash: input.planHash,
    ...(reason ? { reason } : {}),
  };
  return {
    kind: 'ok',
    next: {
      ...record,
      denial,
      state: 'denied',
      updatedAt: at,
      history: [
        ...record.history,
        {
          at,
          actor: person.name,
          action: isRequester ? 'withdrawn' : 'denied',
          ...(reason ? { detail: reason } : {}),
        },
      ],
    },
  };
}
