import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { ErrorCode } from '../../src/errors.js';
import { actor, DEMO_ACCOUNT_ID, DEMO_SECRET, DEMO_VAULT, FULL_TRAIL, makeHarness } from './harness.js';

async function codeOf(work: Promise<unknown>): Promise<string | undefined> {
  try {
    await work;
    return undefined;
  } catch (err) {
    return (err as { code?: string }).code;
  }
}

const sha = (s: string) => createHash('sha256').update(s).digest('hex');

describe('RotationService: request', () => {
  it('stores a pending plan for the alternate key, audited, without touching any key', async () => {
    const h = await makeHarness();
    const r = await h.service.request(
      actor.aliceSlack,
      'KV-Demo-Payments',
      DEMO_SECRET,
      'quarterly rotation',
    );
    expect(r.state).toBe('pending');
    expect(r.plan).toMatchObject({
      vault: DEMO_VAULT,
      currentKey: 'key1',
      keyToRegenerate: 'key2',
      requester: 'alice',
    });
    expect(await h.store.listAudit(r.id)).toMatchObject([
      { actor: 'alice', action: 'rotation.requested', via: 'slack:U01ALICE' },
    ]);
    expect(h.ports.regenerations + h.ports.writes).toBe(0);
    expect(h.changes.map((c) => c.state)).toEqual(['pending']);
  });

  it('refuses people without the requester role, unknown chat users, bad names and empty reasons', async () => {
    const h = await makeHarness();
    expect(await codeOf(h.service.request(actor.carol, DEMO_VAULT, DEMO_SECRET, 'x'))).toBe(
      ErrorCode.NotAuthorised,
    );
    expect(await codeOf(h.service.request(actor.stranger, DEMO_VAULT, DEMO_SECRET, 'x'))).toBe(
      ErrorCode.UnknownUser,
    );
    expect(await codeOf(h.service.request(actor.aliceSlack, 'bad/vault', DEMO_SECRET, 'x'))).toBe(
      ErrorCode.InvalidParameter,
    );
    expect(await codeOf(h.service.request(actor.aliceSlack, DEMO_VAULT, 'a b', 'x'))).toBe(
      ErrorCode.InvalidParameter,
    );
    expect(await codeOf(h.service.request(actor.aliceSlack, DEMO_VAULT, DEMO_SECRET, '  '))).toBe(
      ErrorCode.Usage,
    );
    expect(await codeOf(h.service.request(actor.aliceSlack, DEMO_VAULT, 'no-such-secret', 'x'))).toBe(
      ErrorCode.NotFound,
    );
    expect(await h.service.list()).toEqual([]);
  });

  it('explains the missing tags for a secret not set up for rotation', async () => {
    const h = await makeHarness();
    await h.provider.setSecret(DEMO_VAULT, 'plain', 'not-a-key', {
      tags: { Owner: 'team' },
      expiresOn: '2026-01-01T00:00:00Z',
    });
    const err = await h.service.request(actor.aliceSlack, DEMO_VAULT, 'plain', 'x').catch((e) => e);
    expect(err.code).toBe(ErrorCode.RotationNotConfigured);
    expect(err.message).toMatch(/CredentialId.*ProviderAddress.*ValidityPeriodDays/);
  });

  it('refuses a second request while one for the same secret is open', async () => {
    const h = await makeHarness();
    const first = await h.service.request(actor.aliceSlack, DEMO_VAULT, DEMO_SECRET, 'one');
    const err = await h.service.request(actor.aliceSlack, DEMO_VAULT, DEMO_SECRET, 'two').catch((e) => e);
    expect(err.code).toBe(ErrorCode.InvalidTransition);
    expect(err.message).toContain(first.id);
  });
});

describe('RotationService: approval and execution', () => {
  it('rotates after another approver approves: alternate key regenerated, new version with flipped tags and expiry, verified', async () => {
    const h = await makeHarness();
    const keysBefore = await h.provider.listKeys(DEMO_ACCOUNT_ID);
    const r = await h.service.request(actor.aliceSlack, DEMO_VAULT, DEMO_SECRET, 'quarterly');
    h.clock.advance(60_000);
    const { rotation, execution } = await h.service.approve(actor.carol, r.id, r.planHash);
    expect(rotation.state).toBe('approved');
    const done = await execution;
    expect(done?.state).toBe('done');
    expect(h.ports.regenerations).toBe(1);
    expect(h.ports.writes).toBe(1);

    const keysAfter = await h.provider.listKeys(DEMO_ACCOUNT_ID);
    const key = (ks: typeof keysAfter, n: string) => ks.find((k) => k.keyName === n)?.value ?? '';
    expect(key(keysAfter, 'key1')).toBe(key(keysBefore, 'key1')); // apps on key1 keep working
    expect(key(keysAfter, 'key2')).not.toBe(key(keysBefore, 'key2'));

    const props = await h.provider.getSecretProperties(DEMO_VAULT, DEMO_SECRET);
    expect(props?.version).toBe(done?.execution.newVersion);
    expect(props?.version).not.toBe(r.plan.secretVersion);
    expect(props?.tags).toMatchObject({
      CredentialId: 'key2',
      ProviderAddress: DEMO_ACCOUNT_ID,
      ValidityPeriodDays: '60',
    });
    expect(props?.expiresOn).toBe(new Date(h.clock.now() + 60 * 86_400_000).toISOString());
    expect(sha(await h.provider.getSecretValue(DEMO_VAULT, DEMO_SECRET))).toBe(sha(key(keysAfter, 'key2')));

    expect((await h.store.listAudit(r.id)).map((e) => e.action)).toEqual(FULL_TRAIL);
    expect(h.changes.map((c) => c.state)).toEqual([
      'pending',
      'approved',
      'approved',
      'regenerating',
      'writing-secret',
      'verifying',
      'done',
    ]);

    // The next rotation flips back: key1 is the alternate now.
    const next = await h.service.request(actor.aliceSlack, DEMO_VAULT, DEMO_SECRET, 'again');
    expect(next.plan).toMatchObject({
      currentKey: 'key2',
      keyToRegenerate: 'key1',
      secretVersion: props?.version,
    });
  });

  it('refuses self-approval, also from the requester’s other chat account, and changes nothing', async () => {
    const h = await makeHarness();
    const r = await h.service.request(actor.aliceSlack, DEMO_VAULT, DEMO_SECRET, 'x');
    expect(await codeOf(h.service.approve(actor.aliceSlack, r.id, r.planHash))).toBe(ErrorCode.SelfApproval);
    expect(await codeOf(h.service.approve(actor.aliceTeams, r.id, r.planHash))).toBe(ErrorCode.SelfApproval);
    expect((await h.service.get(r.id))?.state).toBe('pending');
    expect((await h.service.get(r.id))?.approvals).toEqual([]);
    expect(h.ports.regenerations).toBe(0);
  });

  it('refuses approvers without the role for this vault and unknown users', async () => {
    const h = await makeHarness();
    const r = await h.service.request(actor.aliceSlack, DEMO_VAULT, DEMO_SECRET, 'x');
    expect(await codeOf(h.service.approve(actor.bob, r.id, r.planHash))).toBe(ErrorCode.NotAuthorised);
    expect(await codeOf(h.service.approve(actor.erin, r.id, r.planHash))).toBe(ErrorCode.NotAuthorised);
    expect(await codeOf(h.service.approve(actor.stranger, r.id, r.planHash))).toBe(ErrorCode.UnknownUser);
    expect(await codeOf(h.service.deny(actor.bob, r.id, r.planHash))).toBe(ErrorCode.NotAuthorised);
    expect((await h.service.get(r.id))?.state).toBe('pending');
  });

  it('refuses an approval of a different plan hash', async () => {
    const h = await makeHarness();
    const r = await h.service.request(actor.aliceSlack, DEMO_VAULT, DEMO_SECRET, 'x');
    expect(await codeOf(h.service.approve(actor.carol, r.id, 'f'.repeat(64)))).toBe(
      ErrorCode.RotationPlanChanged,
    );
    expect((await h.service.get(r.id))?.state).toBe('pending');
  });

  it('expires a request not approved within the TTL, on approval and by the sweep', async () => {
    const h = await makeHarness();
    const r = await h.service.request(actor.aliceSlack, DEMO_VAULT, DEMO_SECRET, 'x');
    h.clock.advance(3_600_000);
    expect(await codeOf(h.service.approve(actor.carol, r.id, r.planHash))).toBe(ErrorCode.RotationExpired);
    expect((await h.service.get(r.id))?.state).toBe('expired');
    expect(h.ports.regenerations).toBe(0);

    const r2 = await h.service.request(actor.aliceSlack, DEMO_VAULT, DEMO_SECRET, 'y');
    h.clock.advance(3_599_999);
    expect(await h.service.expireStale()).toEqual([]);
    h.clock.advance(1);
    expect((await h.service.expireStale()).map((x) => x.id)).toEqual([r2.id]);
    expect((await h.store.listAudit(r2.id)).at(-1)?.action).toBe('rotation.expired');
  });

  it('ends the request on one deny; later approvals change nothing', async () => {
    const h = await makeHarness({ approvalsRequired: 2 });
    const r = await h.service.request(actor.aliceSlack, DEMO_VAULT, DEMO_SECRET, 'x');
    await h.service.approve(actor.carol, r.id, r.planHash);
    const denied = await h.service.deny(actor.dave, r.id, r.planHash, 'not during the freeze');
    expect(denied.state).toBe('denied');
    expect(denied.denial).toMatchObject({
      person: 'dave',
      reason: 'not during the freeze',
      via: 'console:dave',
    });
    expect(await codeOf(h.service.approve(actor.dave, r.id, r.planHash))).toBe(ErrorCode.InvalidTransition);
    expect(h.ports.regenerations).toBe(0);
    expect((await h.store.listAudit(r.id)).map((e) => e.action)).toEqual([
      'rotation.requested',
      'rotation.approved',
      'rotation.denied',
    ]);
  });

  it('needs approvalsRequired distinct approvers; the same person twice counts once', async () => {
    const h = await makeHarness({ approvalsRequired: 2 });
    const r = await h.service.request(actor.aliceSlack, DEMO_VAULT, DEMO_SECRET, 'x');
    const first = await h.service.approve(actor.carol, r.id, r.planHash);
    expect(first.rotation.state).toBe('pending');
    expect(first.execution).toBeUndefined();
    expect(await codeOf(h.service.approve(actor.carolConsole, r.id, r.planHash))).toBe(
      ErrorCode.InvalidTransition,
    );
    const second = await h.service.approve(actor.dave, r.id, r.planHash);
    expect((await second.execution)?.state).toBe('done');
    expect((await h.service.get(r.id))?.approvals.map((a) => a.person)).toEqual(['carol', 'dave']);
  });

  it('executes once when two approvers click at the same moment', async () => {
    const h = await makeHarness();
    const r = await h.service.request(actor.aliceSlack, DEMO_VAULT, DEMO_SECRET, 'x');
    const results = await Promise.allSettled([
      h.service.approve(actor.carol, r.id, r.planHash),
      h.service.approve(actor.dave, r.id, r.planHash),
    ]);
    const won = results.filter((x) => x.status === 'fulfilled');
    expect(won).toHaveLength(1);
    const lost = results.find((x) => x.status === 'rejected') as PromiseRejectedResult;
    expect(lost.reason.code).toBe(ErrorCode.InvalidTransition);
    await (won[0] as PromiseFulfilledResult<{ execution?: Promise<unknown> }>).value.execution;
    // Executing again (e.g. a duplicate resume) does nothing more.
    await h.service.execute(r.id);
    await h.service.resumeIncomplete();
    expect((await h.service.get(r.id))?.state).toBe('done');
    expect(h.ports.regenerations).toBe(1);
    expect(h.ports.writes).toBe(1);
  });

  it('refuses to execute when the secret got a new version after the plan', async () => {
    const h = await makeHarness();
    const r = await h.service.request(actor.aliceSlack, DEMO_VAULT, DEMO_SECRET, 'x');
    const props = await h.provider.getSecretProperties(DEMO_VAULT, DEMO_SECRET);
    await h.provider.setSecret(DEMO_VAULT, DEMO_SECRET, 'manual', {
      tags: { ...props?.tags },
      expiresOn: '2026-01-01T00:00:00Z',
    });
    const done = await (await h.service.approve(actor.carol, r.id, r.planHash)).execution;
    expect(done?.state).toBe('failed');
    expect(done?.execution).toMatchObject({ failedStep: 'approved' });
    expect(done?.execution.error).toMatch(/new version/);
    expect(h.ports.regenerations).toBe(0);
  });

  it('refuses to execute when the secret tags changed after the plan', async () => {
    const h = await makeHarness();
    const r = await h.service.request(actor.aliceSlack, DEMO_VAULT, DEMO_SECRET, 'x');
    // Same version id is impossible in the local vault, so change the tags by a direct write of the doc.
    const id = `secret|${DEMO_VAULT}|${DEMO_SECRET}`;
    const doc = await h.store.get<{ versions: Array<{ tags: Record<string, string> }> }>('local-vault', id);
    const versions = doc?.value.versions ?? [];
    const last = versions.at(-1);
    if (last) last.tags = { ...last.tags, CredentialId: 'key2' };
    await h.store.update('local-vault', id, { ...doc?.value, versions }, doc?.version ?? '');
    const done = await (await h.service.approve(actor.carol, r.id, r.planHash)).execution;
    expect(done?.state).toBe('failed');
    expect(done?.execution.error).toMatch(/tags changed/);
    expect(h.ports.regenerations).toBe(0);
  });

  it('lists rotations newest first', async () => {
    const h = await makeHarness();
    const a = await h.service.request(actor.aliceSlack, DEMO_VAULT, DEMO_SECRET, 'a');
    await h.service.deny(actor.carol, a.id, a.planHash);
    h.clock.advance(1000);
    const b = await h.service.request(actor.aliceSlack, DEMO_VAULT, DEMO_SECRET, 'b');
    expect((await h.service.list()).map((r) => r.id)).toEqual([b.id, a.id]);
    expect((await h.service.list({ limit: 1 })).map((r) => r.id)).toEqual([b.id]);
  });
});

describe('RotationService: change notifications', () => {
  it('numbers every stored change with an increasing revision, for card versioning', async () => {
    const h = await makeHarness();
    const r = await h.service.request(actor.aliceSlack, DEMO_VAULT, DEMO_SECRET, 'x');
    expect(r.revision).toBe(1);
    await (await h.service.approve(actor.carol, r.id, r.planHash)).execution;
    const revisions = h.changes.map((c) => c.revision);
    expect(revisions).toEqual([1, 2, 3, 4, 5, 6, 7]);
    expect((await h.service.get(r.id))?.revision).toBe(7);
  });
});
