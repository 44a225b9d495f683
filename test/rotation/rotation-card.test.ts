import { describe, expect, it } from 'vitest';
import { ROTATION_VERBS, renderRotationCard } from '../../src/rotation/rotation-card.js';
import { actor, DEMO_SECRET, DEMO_VAULT, makeHarness } from './harness.js';

/** Every element type used anywhere in a card (body, actions, show-card sub-cards). */
function elementTypes(node: unknown, out = new Set<string>()): Set<string> {
  if (Array.isArray(node)) for (const n of node) elementTypes(n, out);
  else if (node && typeof node === 'object') {
    const o = node as Record<string, unknown>;
    if (typeof o.type === 'string') out.add(o.type);
    for (const v of Object.values(o)) elementTypes(v, out);
  }
  return out;
}

const SUBSET = new Set([
  'AdaptiveCard',
  'TextBlock',
  'RichTextBlock',
  'TextRun',
  'FactSet',
  'ColumnSet',
  'Column',
  'Container',
  'Table',
  'TableRow',
  'TableCell',
  'Image',
  'ActionSet',
  'Action.Execute',
  'Action.OpenUrl',
  'Action.ShowCard',
  'Input.Text',
  'Input.ChoiceSet',
]);

describe('rotation card', () => {
  it('shows the plan with Approve and Deny carrying the rotation id and plan hash while pending', async () => {
    const h = await makeHarness();
    const r = await h.service.request(actor.aliceSlack, DEMO_VAULT, DEMO_SECRET, 'quarterly');
    const { card, text } = renderRotationCard(r);
    const json = JSON.stringify(card);
    for (const s of [
      DEMO_VAULT,
      DEMO_SECRET,
      r.plan.secretVersion,
      'stdemopayments',
      'key2',
      'alice',
      'quarterly',
    ]) {
      expect(json).toContain(s);
    }
    const actions = card.actions as Array<{
      type: string;
      verb?: string;
      data?: unknown;
      card?: { actions: unknown[] };
    }>;
    expect(actions[0]).toMatchObject({
      verb: ROTATION_VERBS.approve,
      data: { rotationId: r.id, planHash: r.planHash, vault: DEMO_VAULT },
    });
    expect(actions[1]?.card?.actions[0]).toMatchObject({
      verb: ROTATION_VERBS.deny,
      data: { rotationId: r.id, planHash: r.planHash, vault: DEMO_VAULT },
    });
    expect(text).toContain('waiting for 1 approval');
  });

  it('drops the buttons once decided and reports the result, approvers and timings', async () => {
    const h = await makeHarness();
    const r = await h.service.request(actor.aliceSlack, DEMO_VAULT, DEMO_SECRET, 'quarterly');
    const done = await (await h.service.approve(actor.carol, r.id, r.planHash)).execution;
    if (!done) throw new Error('no execution');
    const { card, text } = renderRotationCard(done);
    expect(card.actions ?? []).toEqual([]);
    const json = JSON.stringify(card);
    expect(json).toContain(done.execution.newVersion ?? 'missing');
    expect(json).toContain('carol');
    expect(json).toContain('Took');
    expect(text).toContain(`new version ${done.execution.newVersion}`);
  });

  it('stays inside the card element subset in every state', async () => {
    const h = await makeHarness();
    const a = await h.service.request(actor.aliceSlack, DEMO_VAULT, DEMO_SECRET, 'one');
    await h.service.deny(actor.carol, a.id, a.planHash, 'no');
    const b = await h.service.request(actor.aliceSlack, DEMO_VAULT, DEMO_SECRET, 'two');
    await (await h.service.approve(actor.dave, b.id, b.planHash)).execution;
    const states = new Set(h.changes.map((c) => c.state));
    expect([...states].sort()).toEqual([
      'approved',
      'denied',
      'done',
      'pending',
      'regenerating',
      'verifying',
      'writing-secret',
    ]);
    for (const r of h.changes) {
      for (const t of elementTypes(renderRotationCard(r).card)) expect(SUBSET.has(t), t).toBe(true);
    }
  });
});
