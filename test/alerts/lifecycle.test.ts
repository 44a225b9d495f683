import { describe, expect, it } from 'vitest';
import type { Alert, AlertAction } from '../../src/alerts/alert.js';
import {
  type ActorKind,
  allowedActions,
  type TransitionRequest,
  transition,
} from '../../src/alerts/lifecycle.js';
import { buildAlert } from './builders.js';

type Start = 'open' | 'open+esc' | 'acknowledged' | 'acknowledged+esc' | 'closed' | 'closed+esc';
/** What a responder gets: the resulting state (`+esc` = escalated) or `invalid`. Written out by hand. */
const RESPONDER: Record<Start, Record<AlertAction, Start | 'invalid'>> = {
  open: { acknowledge: 'acknowledged', close: 'closed', escalate: 'open+esc', reopen: 'invalid' },
  'open+esc': {
    acknowledge: 'acknowledged+esc',
    close: 'closed+esc',
    escalate: 'invalid',
    reopen: 'invalid',
  },
  acknowledged: { acknowledge: 'invalid', close: 'closed', escalate: 'acknowledged+esc', reopen: 'invalid' },
  'acknowledged+esc': { acknowledge: 'invalid', close: 'closed+esc', escalate: 'invalid', reopen: 'invalid' },
  closed: { acknowledge: 'invalid', close: 'invalid', escalate: 'invalid', reopen: 'open' },
  // The escalated flag stays on a closed alert as a record; reopening clears it so it can escalate again.
  'closed+esc': { acknowledge: 'invalid', close: 'invalid', escalate: 'invalid', reopen: 'open' },
};
/** kv-warden itself may only escalate (autoEscalateAfter) and reopen (a repeat after close). */
const SYSTEM_MAY = new Set<AlertAction>(['escalate', 'reopen']);

function alertIn(start: Start): Alert {
  const [state, esc] = start.split('+') as [Alert['state'], string | undefined];
  return buildAlert(
    state === 'closed'
      ? { state, escalated: esc === 'esc', classification: 'false-positive', closeReason: 'test' }
      : { state, escalated: esc === 'esc' },
  );
}

function stateOf(a: Alert): Start {
  return (a.escalated ? `${a.state}+esc` : a.state) as Start;
}

function request(action: AlertAction, kind: ActorKind): TransitionRequest {
  return {
    action,
    actor: { kind, name: kind === 'system' ? 'system' : 'alice', displayName: 'Alice', via: 'console:alice' },
    at: '2025-06-02T14:00:00.000Z',
    atMs: Date.parse('2025-06-02T14:00:00.000Z'),
    classification: 'true-positive',
    reason: 'confirmed with the owner',
  };
}

const KINDS: ActorKind[] = ['responder', 'non-responder', 'system'];

describe('alert lifecycle table: every action × state × actor', () => {
  for (const start of Object.keys(RESPONDER) as Start[]) {
    for (const action of Object.keys(RESPONDER[start]) as AlertAction[]) {
      for (const kind of KINDS) {
        const expected = RESPONDER[start][action];
        const permitted = kind === 'responder' || (kind === 'system' && SYSTEM_MAY.has(action));
        const outcome = !permitted
          ? 'not-authorised'
          : expected === 'invalid'
            ? 'invalid-transition'
            : expected;
        it(`${kind} ${action} on ${start} → ${outcome}`, () => {
          const before = alertIn(start);
          const result = transition(before, request(action, kind));
          if (outcome === 'not-authorised' || outcome === 'invalid-transition') {
            expect(result.ok).toBe(false);
            if (!result.ok) expect(result.refusal).toBe(outcome);
            return;
          }
          expect(result.ok).toBe(true);
          if (!result.ok) return;
          expect(stateOf(result.alert)).toBe(outcome);
          expect(result.alert.version).toBe(before.version + 1);
          expect(result.alert.history.at(-1)).toMatchObject({ action, at: '2025-06-02T14:00:00.000Z' });
        });
      }
    }
  }
});

describe('alert lifecycle rules', () => {
  it('refuses to close without a classification, naming what is missing', () => {
    const result = transition(buildAlert(), { ...request('close', 'responder'), classification: undefined });
    expect(result).toMatchObject({ ok: false, refusal: 'missing-input' });
  });

  it('refuses to close with an unknown classification', () => {
    const result = transition(buildAlert(), {
      ...request('close', 'responder'),
      classification: 'malicious',
    });
    expect(result).toMatchObject({ ok: false, refusal: 'missing-input' });
  });

  it('refuses to close with a blank reason', () => {
    const result = transition(buildAlert(), { ...request('close', 'responder'), reason: '   ' });
    expect(result).toMatchObject({ ok: false, refusal: 'missing-input' });
  });

  it('records classification and reason on close, and who/when/why in the history', () => {
    const result = transition(buildAlert(), request('close', 'responder'));
    if (!result.ok) throw new Error(result.message);
    expect(result.alert).toMatchObject({
      classification: 'true-positive',
      closeReason: 'confirmed with the owner',
    });
    expect(result.alert.history.at(-1)).toEqual({
      action: 'close',
      person: 'alice',
      displayName: 'Alice',
      at: '2025-06-02T14:00:00.000Z',
      comment: 'true-positive: confirmed with the owner',
      via: 'console:alice',
    });
  });

  it('reopen clears the classification and the escalated flag and restarts the open clock', () => {
    const closed = buildAlert({
      state: 'closed',
      escalated: true,
      classification: 'false-positive',
      closeReason: 'x',
    });
    const result = transition(closed, request('reopen', 'responder'));
    if (!result.ok) throw new Error(result.message);
    expect(result.alert.classification).toBeUndefined();
    expect(result.alert.closeReason).toBeUndefined();
    expect(result.alert.escalated).toBe(false);
    expect(result.alert.openedAtMs).toBe(Date.parse('2025-06-02T14:00:00.000Z'));
  });

  it('keeps an optional comment, trimmed and bounded', () => {
    const result = transition(buildAlert(), {
      ...request('acknowledge', 'responder'),
      comment: `  looking ${'x'.repeat(900)}`,
    });
    if (!result.ok) throw new Error(result.message);
    expect(result.alert.history.at(-1)?.comment?.length).toBeLessThanOrEqual(500);
    expect(result.alert.history.at(-1)?.comment?.startsWith('looking')).toBe(true);
  });

  it('does not change the alert it was given', () => {
    const before = buildAlert();
    const copy = structuredClone(before);
    transition(before, request('acknowledge', 'responder'));
    expect(before).toEqual(copy);
  });

  it('buttons follow the state: closed offers only reopen', () => {
    expect([...allowedActions({ state: 'closed', escalated: false })]).toEqual(['reopen']);
    expect([...allowedActions({ state: 'open', escalated: false })]).toEqual([
      'acknowledge',
      'close',
      'escalate',
    ]);
    expect([...allowedActions({ state: 'acknowledged', escalated: true })]).toEqual(['close']);
  });
});
