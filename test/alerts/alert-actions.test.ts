import { describe, expect, it } from 'vitest';
import type { Alert } from '../../src/alerts/alert.js';
import type { ActionOutcome } from '../../src/chat/chat-surface.js';
import { buildDetection } from './builders.js';
import { ALICE, BOB, CAROL, DAVE, deliverAll, harness, STRANGER } from './harness.js';

async function withAlert(vault = 'kv-prod-payments') {
  const h = harness();
  const [r] = await h.service.record([buildDetection({ vault })]);
  const id = r?.alert.id ?? '';
  await deliverAll(h.outbox, h.clock);
  return { ...h, id };
}

function buttons(outcome: ActionOutcome): string[] {
  return ((outcome.card?.card.actions ?? []) as Array<{ title: string }>).map((a) => a.title);
}

describe('alert actions', () => {
  it('a responder acknowledges: the card for everyone shows who and when, and the audit trail records it', async () => {
    const h = await withAlert();
    h.clock.set('2025-06-02T14:02:00Z');
    const outcome = await h.service.act(ALICE, { verb: 'alert.ack', data: { alertId: h.id } });
    expect(outcome.notice).toBeUndefined();
    expect(JSON.stringify(outcome.card?.card)).toContain(
      'Alice acknowledged this at 2025-06-02 14:02:00 UTC',
    );
    expect(buttons(outcome)).toEqual(['Close', 'Escalate']);
    expect(await h.store.listAudit(h.id)).toContainEqual({
      subject: h.id,
      at: '2025-06-02T14:02:00.000Z',
      actor: 'alice',
      action: 'acknowledge',
      via: 'slack:U01ALICE',
    });
    await deliverAll(h.outbox, h.clock);
    const posted = [...h.console.messages.values()];
    expect(posted).toHaveLength(1);
    expect(posted[0]?.texts.at(-1)).toContain('acknowledged');
  });

  it('an unknown chat user changes nothing and is told they are not mapped', async () => {
    const h = await withAlert();
    const before = await h.service.get(h.id);
    const outcome = await h.service.act(STRANGER, { verb: 'alert.ack', data: { alertId: h.id } });
    expect(outcome.notice).toMatch(/not mapped to a person/);
    expect(await h.service.get(h.id)).toEqual(before);
    expect(buttons(outcome)).toEqual(['Acknowledge', 'Close', 'Escalate']);
    expect(await h.outbox.depth()).toBe(0);
  });

  it('a known person without the responder role is refused and the card stays as it was', async () => {
    const h = await withAlert();
    const before = await h.service.get(h.id);
    const outcome = await h.service.act(CAROL, { verb: 'alert.escalate', data: { alertId: h.id } });
    expect(outcome.notice).toMatch(/not authorised.*responder/);
    expect(await h.service.get(h.id)).toEqual(before);
    expect(await h.store.listAudit(h.id)).toHaveLength(1);
  });

  it('a responder for one vault may act on that vault only', async () => {
    const dev = await withAlert('kv-dev');
    expect(
      (await dev.service.act(DAVE, { verb: 'alert.ack', data: { alertId: dev.id } })).notice,
    ).toBeUndefined();
    const prod = await withAlert('kv-prod-payments');
    expect((await prod.service.act(DAVE, { verb: 'alert.ack', data: { alertId: prod.id } })).notice).toMatch(
      /not authorised/,
    );
  });

  it('two people clicking Acknowledge at once produce one transition; the other sees who won', async () => {
    const h = await withAlert();
    h.clock.set('2025-06-02T10:02:00Z');
    const [a, b] = await Promise.all([
      h.service.act(ALICE, { verb: 'alert.ack', data: { alertId: h.id } }),
      h.service.act(BOB, { verb: 'alert.ack', data: { alertId: h.id } }),
    ]);
    const notices = [a?.notice, b?.notice].filter((n) => n !== undefined);
    expect(notices).toHaveLength(1);
    expect(notices[0]).toMatch(
      /^(Alice|Bob) acknowledged this at 2025-06-02 10:02:00 UTC — you are seeing the current state\.$/,
    );
    const alert = (await h.service.get(h.id)) as Alert;
    expect(alert.history.filter((e) => e.action === 'acknowledge')).toHaveLength(1);
    expect((await h.store.listAudit(h.id)).filter((e) => e.action === 'acknowledge')).toHaveLength(1);
    // The loser's card is the current one.
    expect(buttons(a)).toEqual(['Close', 'Escalate']);
    expect(buttons(b)).toEqual(['Close', 'Escalate']);
  });

  it('concurrent different actions that both still apply are both applied, each once', async () => {
    const h = await withAlert();
    await Promise.all([
      h.service.act(ALICE, { verb: 'alert.ack', data: { alertId: h.id } }),
      h.service.act(BOB, { verb: 'alert.escalate', data: { alertId: h.id } }),
    ]);
    expect(await h.service.get(h.id)).toMatchObject({ state: 'acknowledged', escalated: true, version: 3 });
  });

  it('closing needs a classification and a reason; then only Reopen remains', async () => {
    const h = await withAlert();
    const missing = await h.service.act(ALICE, {
      verb: 'alert.close',
      data: { alertId: h.id },
      inputs: { reason: 'x' },
    });
    expect(missing.notice).toMatch(/classification/);
    expect((await h.service.get(h.id))?.state).toBe('open');
    const closed = await h.service.act(ALICE, {
      verb: 'alert.close',
      data: { alertId: h.id },
      inputs: { classification: 'false-positive', reason: 'test tenant' },
    });
    expect(closed.notice).toBeUndefined();
    expect(buttons(closed)).toEqual(['Reopen']);
    expect(await h.service.get(h.id)).toMatchObject({
      state: 'closed',
      classification: 'false-positive',
      closeReason: 'test tenant',
    });
    expect((await h.store.listAudit(h.id)).at(-1)).toMatchObject({
      action: 'close',
      detail: 'false-positive: test tenant',
    });
  });

  it('a click from a stale card is refused with the current state', async () => {
    const h = await withAlert();
    await h.service.act(BOB, {
      verb: 'alert.close',
      data: { alertId: h.id },
      inputs: { classification: 'undetermined', reason: 'n/a' },
    });
    const outcome = await h.service.act(ALICE, { verb: 'alert.ack', data: { alertId: h.id } });
    expect(outcome.notice).toMatch(/^Bob closed this at .* — you are seeing the current state\.$/);
    expect(buttons(outcome)).toEqual(['Reopen']);
  });

  it('a responder reopens a closed alert', async () => {
    const h = await withAlert();
    await h.service.act(BOB, {
      verb: 'alert.close',
      data: { alertId: h.id },
      inputs: { classification: 'undetermined', reason: 'n/a' },
    });
    const outcome = await h.service.act(ALICE, { verb: 'alert.reopen', data: { alertId: h.id } });
    expect(outcome.notice).toBeUndefined();
    expect(buttons(outcome)).toEqual(['Acknowledge', 'Close', 'Escalate']);
  });

  it('refuses malformed or unknown alert ids and unknown verbs without changing anything', async () => {
    const h = await withAlert();
    expect((await h.service.act(ALICE, { verb: 'alert.ack', data: { alertId: '../x' } })).notice).toMatch(
      /valid alert/,
    );
    expect(
      (await h.service.act(ALICE, { verb: 'alert.ack', data: { alertId: 'A-FFFFFFFFFF' } })).notice,
    ).toMatch(/not found/);
    expect((await h.service.act(ALICE, { verb: 'alert.delete', data: { alertId: h.id } })).notice).toMatch(
      /Unknown alert action/,
    );
    expect((await h.service.get(h.id))?.version).toBe(1);
  });

  it('refresh returns the current card to anyone who can see it', async () => {
    const h = await withAlert();
    const outcome = await h.service.act(STRANGER, { verb: 'alert.refresh', data: { alertId: h.id } });
    expect(outcome.notice).toBeUndefined();
    expect(buttons(outcome)).toEqual(['Acknowledge', 'Close', 'Escalate']);
  });

  it('lists open and acknowledged alerts, most severe first', async () => {
    const h = harness();
    await h.service.record([
      buildDetection({ rule: 'new-principal', severity: 'low', principal: 'p1' }),
      buildDetection({ rule: 'firewall-opened', severity: 'critical', principal: 'p2' }),
      buildDetection({ rule: 'unexpected-app', severity: 'medium', principal: 'p3' }),
    ]);
    const open = await h.service.listOpen();
    expect(open.map((a) => a.severity)).toEqual(['critical', 'medium', 'low']);
    await h.service.act(ALICE, {
      verb: 'alert.close',
      data: { alertId: open[0]?.id ?? '' },
      inputs: { classification: 'true-positive', reason: 'fixed' },
    });
    expect((await h.service.listOpen()).map((a) => a.rule)).toEqual(['unexpected-app', 'new-principal']);
  });
});
