import { describe, expect, it } from 'vitest';
import { CommandRouter } from '../../src/chat/command-router.js';
import { readEnv } from '../../src/config/env.js';
import { parseConfig } from '../../src/config/load.js';
import { ROTATION_VERBS } from '../../src/rotation/rotation-card.js';
import {
  handleRotationAction,
  REQUEST_ROTATION_VERB,
  registerRotationCommands,
  rotationChannel,
} from '../../src/rotation/rotation-chat.js';
import type { RotationRecord } from '../../src/rotation/rotation-record.js';
import { actor, DEMO_SECRET, DEMO_VAULT, makeHarness } from './harness.js';

async function runCommand(router: CommandRouter, who: typeof actor.aliceSlack, text: string) {
  const { spec, args, rest } = router.parse(text);
  return spec.run({ actor: who, args, rest });
}

describe('rotation chat glue', () => {
  it('requests through /kv rotate and lists through /kv rotations', async () => {
    const h = await makeHarness();
    const router = new CommandRouter();
    registerRotationCommands(router, h.service);
    const reply = await runCommand(
      router,
      actor.aliceSlack,
      `/kv rotate ${DEMO_VAULT} ${DEMO_SECRET} suspected leak in CI logs`,
    );
    expect(reply.text).toMatch(/^Rotation rot-\S+ requested: regenerate key2 of stdemopayments/);
    expect(reply.card?.card.type).toBe('AdaptiveCard');
    const [r] = await h.service.list();
    expect(r?.plan.reason).toBe('suspected leak in CI logs');
    const list = await runCommand(router, actor.bob, 'rotations');
    expect(list.text).toContain('1 open, 0 finished');
    expect(list.text).toContain(r?.id ?? 'missing');
    await expect(runCommand(router, actor.aliceSlack, `rotate ${DEMO_VAULT}`)).rejects.toThrow(/Usage/);
  });

  it('lists in /kv rotations only rotations on vaults the person has a role for', async () => {
    const h = await makeHarness();
    const router = new CommandRouter();
    registerRotationCommands(router, h.service);
    const r = await h.service.request(actor.aliceSlack, DEMO_VAULT, DEMO_SECRET, 'visibility');
    // erin approves kv-other only: the kv-demo-payments rotation is not hers to see.
    expect((await runCommand(router, actor.erin, 'rotations')).text).toBe('No rotations yet.');
    expect((await runCommand(router, actor.carol, 'rotations')).text).toContain(r.id);
    expect((await runCommand(router, actor.bob, 'rotations')).text).toContain(r.id);
    await expect(runCommand(router, actor.stranger, 'rotations')).rejects.toMatchObject({
      code: 'KVW_UNKNOWN_USER',
    });
  });

  it('approves by click, runs the execution once, and shows the loser the current card with a reason', async () => {
    const h = await makeHarness();
    const r = await h.service.request(actor.aliceSlack, DEMO_VAULT, DEMO_SECRET, 'x');
    const executions: Array<Promise<RotationRecord>> = [];
    const data = { rotationId: r.id, planHash: r.planHash };
    const [a, b] = await Promise.all([
      handleRotationAction(h.service, actor.carol, { verb: ROTATION_VERBS.approve, data }, (p) =>
        executions.push(p),
      ),
      handleRotationAction(h.service, actor.dave, { verb: ROTATION_VERBS.approve, data }, (p) =>
        executions.push(p),
      ),
    ]);
    expect(executions).toHaveLength(1);
    expect((await executions[0])?.state).toBe('done');
    const notices = [a.notice, b.notice].filter(Boolean);
    expect(notices).toHaveLength(1);
    expect(notices[0]).toMatch(/already approved/);
    expect(h.ports.regenerations).toBe(1);
  });

  it('answers refusals with a notice and the unchanged card', async () => {
    const h = await makeHarness();
    const r = await h.service.request(actor.aliceSlack, DEMO_VAULT, DEMO_SECRET, 'x');
    const data = { rotationId: r.id, planHash: r.planHash };
    const self = await handleRotationAction(h.service, actor.aliceTeams, {
      verb: ROTATION_VERBS.approve,
      data,
    });
    expect(self.notice).toMatch(/cannot approve it/);
    expect(JSON.stringify(self.card?.card)).toContain('Approve');
    const stranger = await handleRotationAction(h.service, actor.stranger, {
      verb: ROTATION_VERBS.approve,
      data,
    });
    expect(stranger.notice).toMatch(/not mapped to a person/);
    const bogus = await handleRotationAction(h.service, actor.carol, {
      verb: ROTATION_VERBS.approve,
      data: { rotationId: '../x' },
    });
    expect(bogus.notice).toMatch(/valid rotation/);
    expect((await h.service.get(r.id))?.state).toBe('pending');
  });

  it('denies with the reason typed into the card and requests from a near-expiry button', async () => {
    const h = await makeHarness();
    const req = await handleRotationAction(h.service, actor.aliceSlack, {
      verb: REQUEST_ROTATION_VERB,
      data: { vault: DEMO_VAULT, secret: DEMO_SECRET },
    });
    expect(req.notice).toMatch(/requested/);
    const [r] = await h.service.list();
    if (!r) throw new Error('no rotation');
    const out = await handleRotationAction(h.service, actor.carol, {
      verb: ROTATION_VERBS.deny,
      data: { rotationId: r.id, planHash: r.planHash },
      inputs: { reason: 'change freeze' },
    });
    expect(JSON.stringify(out.card?.card)).toContain('change freeze');
    expect((await h.service.get(r.id))?.denial?.reason).toBe('change freeze');
  });

  it('routes rotation cards to rotation.channel, else the vault channel, else the default', () => {
    const config = parseConfig(
      {
        rotation: { channel: { slack: 'CROT' } },
        vaults: { 'kv-a': { channel: { teams: 'team-a', slack: 'CA' } } },
        chat: { default: { console: 'general', teams: 'team-default' } },
      },
      readEnv({}),
    );
    expect(rotationChannel(config, 'slack', 'KV-A')).toBe('CROT');
    expect(rotationChannel(config, 'teams', 'kv-a')).toBe('team-a');
    expect(rotationChannel(config, 'teams', 'kv-b')).toBe('team-default');
    expect(rotationChannel(config, 'console', 'kv-a')).toBe('general');
  });
});
