import { describe, expect, it } from 'vitest';
import type { Alert } from '../../src/alerts/alert.js';
import { alertCardData, renderAlertCard } from '../../src/alerts/alert-card.js';
import { toBlockKit } from '../../src/chat/block-kit/to-block-kit.js';
import { buildAlert } from '../alerts/builders.js';
import { blockProblem } from '../fakes/slack-api.js';

const ackBy = {
  action: 'acknowledge',
  person: 'alice',
  displayName: 'Alice',
  at: '2025-06-02T13:10:00.000Z',
  via: 'slack:U01ALICE',
} as const;
const escBy = {
  action: 'escalate',
  person: 'alice',
  displayName: 'Alice',
  at: '2025-06-02T13:11:00.000Z',
  comment: 'paging on-call',
} as const;
const closeBy = {
  action: 'close',
  person: 'bob',
  displayName: 'Bob',
  at: '2025-06-02T13:20:00.000Z',
  comment: 'benign-positive: planned cleanup',
} as const;

const STATES: Record<string, Alert> = {
  open: buildAlert(),
  acknowledged: buildAlert({ state: 'acknowledged', history: [...buildAlert().history, ackBy], version: 2 }),
  'open-escalated': buildAlert({ escalated: true, history: [...buildAlert().history, escBy], version: 2 }),
  'acknowledged-escalated': buildAlert({
    state: 'acknowledged',
    escalated: true,
    history: [...buildAlert().history, ackBy, escBy],
    version: 3,
  }),
  closed: buildAlert({
    state: 'closed',
    classification: 'benign-positive',
    closeReason: 'planned cleanup',
    history: [...buildAlert().history, ackBy, closeBy],
    version: 3,
  }),
};

function actionsOf(alert: Alert): Array<{ type: string; title: string; verb?: string }> {
  return (renderAlertCard(alert).card.actions ?? []) as Array<{ type: string; title: string; verb?: string }>;
}

function allStrings(node: unknown, out: string[] = []): string[] {
  if (typeof node === 'string') out.push(node);
  else if (Array.isArray(node)) for (const n of node) allStrings(n, out);
  else if (node && typeof node === 'object') for (const v of Object.values(node)) allStrings(v, out);
  return out;
}

describe('alert card', () => {
  for (const [name, alert] of Object.entries(STATES)) {
    it(`renders the ${name} alert card (snapshot)`, () => {
      expect(renderAlertCard(alert)).toMatchSnapshot();
    });

    it(`${name}: expands every template expression and stays inside the Block Kit subset`, () => {
      const { card } = renderAlertCard(alert);
      expect(allStrings(card).filter((s) => s.includes('${'))).toEqual([]);
      expect(JSON.stringify(card)).not.toMatch(/"\$(when|data)"/);
      expect(() => toBlockKit(card)).not.toThrow();
      expect(card.version).toBe('1.5');
    });
  }

  for (const [name, alert] of Object.entries(STATES)) {
    it(`renders the ${name} alert card with pivot buttons (snapshot)`, () => {
      const message = renderAlertCard(alert, { pivots: true });
      expect(message).toMatchSnapshot();
      expect(allStrings(message.card).filter((s) => s.includes('${'))).toEqual([]);
      expect(blockProblem(toBlockKit(message.card))).toBeUndefined();
    });
  }

  it('an open alert offers Acknowledge, Close (with classification and reason) and Escalate', () => {
    const actions = actionsOf(STATES.open as Alert);
    expect(actions.map((a) => a.title)).toEqual(['Acknowledge', 'Close', 'Escalate']);
    const close = actions[1] as unknown as {
      card: {
        body: Array<{ type: string; id: string; choices?: Array<{ value: string }> }>;
        actions: Array<{ verb: string }>;
      };
    };
    expect(close.card.body.map((b) => [b.type, b.id])).toEqual([
      ['Input.ChoiceSet', 'classification'],
      ['Input.Text', 'reason'],
    ]);
    expect(close.card.body[0]?.choices?.map((c) => c.value)).toEqual([
      'true-positive',
      'benign-positive',
      'false-positive',
      'undetermined',
    ]);
    expect(close.card.actions[0]?.verb).toBe('alert.close');
  });

  it('an acknowledged alert no longer offers Acknowledge', () => {
    expect(actionsOf(STATES.acknowledged as Alert).map((a) => a.title)).toEqual(['Close', 'Escalate']);
  });

  it('an escalated alert no longer offers Escalate', () => {
    expect(actionsOf(STATES['acknowledged-escalated'] as Alert).map((a) => a.title)).toEqual(['Close']);
    expect(actionsOf(STATES['open-escalated'] as Alert).map((a) => a.title)).toEqual([
      'Acknowledge',
      'Close',
    ]);
  });

  it('a closed alert has exactly one action: Reopen', () => {
    const actions = actionsOf(STATES.closed as Alert);
    expect(actions).toHaveLength(1);
    expect(actions[0]).toMatchObject({ type: 'Action.Execute', title: 'Reopen', verb: 'alert.reopen' });
  });

  it('shows the rule id, counters and the who/when/why history', () => {
    const text = allStrings(renderAlertCard(STATES.closed as Alert).card).join('\n');
    expect(text).toContain('destructive-operation');
    expect(text).toContain('2025-06-02 13:05:11 UTC');
    expect(text).toContain('2025-06-02 13:10:00 UTC — Alice (slack:U01ALICE) acknowledged');
    expect(text).toContain('Bob closed: benign-positive: planned cleanup');
    expect(text).toContain('Classification: benign-positive — planned cleanup');
    expect(alertCardData(STATES.closed as Alert).count).toBe('2');
  });

  it('carries the alert id in every button and in the refresh action', () => {
    const { card } = renderAlertCard(STATES.open as Alert);
    const refresh = card.refresh as {
      action: { verb: string; data: { alertId: string } };
      userIds: unknown[];
    };
    expect(refresh.action).toMatchObject({ verb: 'alert.refresh', data: { alertId: 'A-0123456789' } });
    expect(refresh.userIds).toEqual([]);
    for (const a of actionsOf(STATES.open as Alert) as Array<{ data?: { alertId: string } }>) {
      if (a.data) expect(a.data.alertId).toBe('A-0123456789');
    }
  });

  it('shows hostile text from audit data verbatim instead of evaluating it', () => {
    const hostile = ['bob read secret $', '{alertId} and $', '{1+1}'].join('');
    const field = ['$', '{rule}'].join('');
    const alert = buildAlert({ summary: hostile, evidence: { object: field } });
    const text = allStrings(renderAlertCard(alert).card);
    expect(text).toContain(hostile);
    expect(text).toContain(field);
  });

  it('omits the evidence and history sections when empty', () => {
    const { card } = renderAlertCard(buildAlert({ evidence: {}, history: [] }));
    const text = allStrings(card);
    expect(text).not.toContain('Evidence');
    expect(text).not.toContain('History');
  });
});

describe('alert card text from audit data', () => {
  it('does not turn markdown links in audit data or typed reasons into clickable links', () => {
    const alert = buildAlert({
      summary: 'bob read secret [reset your password](https://evil.example/login)',
      evidence: { userAgent: '[click](https://evil.example)' },
      state: 'closed',
      classification: 'false-positive',
      closeReason: 'see [docs](https://evil.example)',
    });
    const json = JSON.stringify(renderAlertCard(alert).card);
    expect(json).not.toMatch(/\]\s*\(https:/);
    expect(json).toContain('reset your password');
    const slack = JSON.stringify(toBlockKit(renderAlertCard(alert).card));
    expect(slack).not.toContain('<https://evil.example');
  });
});

describe('pivot buttons on the alert card', () => {
  const pivotsOf = (alert: Alert) =>
    (renderAlertCard(alert, { pivots: true }).card.actions ?? []).filter(
      (a) => (a as { verb?: string }).verb === 'query.run',
    ) as Array<{ title: string; data: Record<string, unknown>; associatedInputs?: string }>;

  it.each(Object.keys(STATES))('the %s alert offers both pivots after its lifecycle buttons', (name) => {
    const alert = STATES[name] as Alert;
    const titles = actionsOf(alert).map((a) => a.title);
    const withPivots = (renderAlertCard(alert, { pivots: true }).card.actions ?? []) as Array<{
      title: string;
    }>;
    expect(withPivots.map((a) => a.title)).toEqual([
      ...titles,
      "This caller's activity",
      "This IP's history",
    ]);
    expect(pivotsOf(alert).map((a) => a.data)).toEqual([
      { name: 'caller', caller: 'e5555555-0000-4000-8000-000000000005', since: '7d' },
      { name: 'who', vault: 'kv-prod-payments', ip: '203.0.113.7', since: '7d' },
    ]);
    // A pivot sends none of the Close form's inputs.
    expect(pivotsOf(alert).every((a) => a.associatedInputs === 'none')).toBe(true);
  });

  it('has no pivots unless the queries feature turned them on', () => {
    expect(JSON.stringify(renderAlertCard(STATES.open as Alert).card)).not.toContain('query.run');
    expect(alertCardData(STATES.open as Alert)).toMatchObject({ hasCallerPivot: false, hasIpPivot: false });
  });

  it('leaves out a pivot whose entity the alert does not carry in a usable form', () => {
    const ipOnly = buildAlert({ principal: '198.51.100.4', principalUpn: undefined, ip: '198.51.100.4' });
    expect(pivotsOf(ipOnly).map((a) => a.title)).toEqual(["This IP's history"]);
    const noIp = buildAlert({ ip: undefined });
    expect(pivotsOf(noIp).map((a) => a.title)).toEqual(["This caller's activity"]);
    const nothing = buildAlert({ principal: 'unknown', principalUpn: undefined, ip: 'not-an-ip' });
    expect(pivotsOf(nothing)).toEqual([]);
    expect(JSON.stringify(renderAlertCard(nothing, { pivots: true }).card)).not.toContain('query.run');
  });

  it('falls back to the UPN for the caller pivot when the principal is not an id', () => {
    const alert = buildAlert({ principal: '198.51.100.4', principalUpn: 'Bob@Contoso.com' });
    expect(pivotsOf(alert)[0]?.data).toEqual({ name: 'caller', caller: 'bob@contoso.com', since: '7d' });
  });
});
