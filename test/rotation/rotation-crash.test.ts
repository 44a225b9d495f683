import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { RotationRecord, RotationState } from '../../src/rotation/rotation-record.js';
import { Crash, DyingPorts, DyingStore, type PortCall, Power } from './crash-harness.js';
import { actor, DEMO_ACCOUNT_ID, DEMO_SECRET, DEMO_VAULT, FULL_TRAIL, makeHarness } from './harness.js';

const sha = (s: string) => createHash('sha256').update(s).digest('hex');

type CrashPoint =
  | { after: 'write'; state: RotationState; attempt?: number }
  | { after: 'call'; call: PortCall };

const isRotation = (c: string, v: unknown): v is RotationRecord => c === 'rotations' && typeof v === 'object';

const CRASH_POINTS: Array<[string, CrashPoint]> = [
  ['the approval was stored', { after: 'write', state: 'approved', attempt: 0 }],
  ['the executor claimed the rotation', { after: 'write', state: 'approved', attempt: 1 }],
  ['regenerating was stored', { after: 'write', state: 'regenerating' }],
  ['the key was regenerated but not recorded', { after: 'call', call: 'regenerateKey' }],
  ['writing-secret was stored', { after: 'write', state: 'writing-secret' }],
  ['the secret was written but not recorded', { after: 'call', call: 'setSecret' }],
  ['verifying was stored', { after: 'write', state: 'verifying' }],
  ['the stored value was read for verification', { after: 'call', call: 'getSecretValue' }],
  ['done was stored', { after: 'write', state: 'done' }],
];

describe('rotation crash and resume', () => {
  it.each(CRASH_POINTS)(
    'resumes after a crash once %s: one regeneration, one new version, verified',
    async (_, point) => {
      const h = await makeHarness();
      const power = new Power();
      const dyingStore = new DyingStore(h.store, power, (c, v) =>
        point.after === 'write' && isRotation(c, v)
          ? v.state === point.state && (point.attempt === undefined || v.execution.attempt === point.attempt)
          : false,
      );
      const dyingPorts = new DyingPorts(h.ports, power, point.after === 'call' ? point.call : undefined);
      const before = h.restart({ store: dyingStore, vault: dyingPorts, rotator: dyingPorts });

      const r = await before.request(actor.aliceSlack, DEMO_VAULT, DEMO_SECRET, 'crash test');
      const crashed = await before
        .approve(actor.carol, r.id, r.planHash)
        .then((x) => x.execution)
        .then(
          () => undefined,
          (err: unknown) => err,
        );
      expect(crashed).toBeInstanceOf(Crash);

      h.clock.advance(5_000);
      const after = h.restart();
      const resumed = await after.resumeIncomplete();
      const final = await after.get(r.id);
      expect(final?.state).toBe('done');
      if (point.after === 'write' && point.state === 'done') expect(resumed).toEqual([]);
      else expect(resumed.map((x) => x.state)).toEqual(['done']);

      expect(h.ports.regenerations).toBe(1);
      expect(h.ports.writes).toBe(1);
      const versions = await h.store.get<{ versions: unknown[] }>(
        'local-vault',
        `secret|${DEMO_VAULT}|${DEMO_SECRET}`,
      );
      expect(versions?.value.versions).toHaveLength(2);
      const key2 =
        (await h.provider.listKeys(DEMO_ACCOUNT_ID)).find((k) => k.keyName === 'key2')?.value ?? '';
      expect(sha(await h.provider.getSecretValue(DEMO_VAULT, DEMO_SECRET))).toBe(sha(key2));
      const props = await h.provider.getSecretProperties(DEMO_VAULT, DEMO_SECRET);
      expect(props?.version).toBe(final?.execution.newVersion);
      expect(props?.tags.CredentialId).toBe('key2');
      // Every step is in the audit trail once, also the one whose entry the crash cut off, and the
      // card listener saw the final state.
      expect((await h.store.listAudit(r.id)).map((e) => e.action)).toEqual(FULL_TRAIL);
      expect(h.changes.at(-1)?.state).toBe('done');
      // A second restart has nothing left to do: it adds nothing to the trail and announces nothing again.
      const seen = h.changes.length;
      expect(await h.restart().resumeIncomplete()).toEqual([]);
      expect(await h.store.listAudit(r.id)).toHaveLength(FULL_TRAIL.length);
      expect(h.changes).toHaveLength(seen);
    },
  );

  it('leaves a rotation another replica is executing right now alone when asked to', async () => {
    const h = await makeHarness();
    const power = new Power();
    const dying = new DyingPorts(h.ports, power, 'regenerateKey');
    const r = await h.service.request(actor.aliceSlack, DEMO_VAULT, DEMO_SECRET, 'x');
    const before = h.restart({ store: new DyingStore(h.store, power), vault: dying, rotator: dying });
    await before
      .approve(actor.carol, r.id, r.planHash)
      .then((x) => x.execution)
      .catch(() => undefined);
    expect(await h.restart().resumeIncomplete({ olderThanMs: 60_000 })).toEqual([]);
    h.clock.advance(60_000);
    expect((await h.restart().resumeIncomplete({ olderThanMs: 60_000 })).map((x) => x.state)).toEqual([
      'done',
    ]);
    expect(h.ports.regenerations).toBe(1);
  });
});

describe('rotation step failures', () => {
  const failing = (call: PortCall, message: string) => {
    return async () => {
      const h = await makeHarness();
      const ports = new Proxy(h.ports, {
        get(target, prop, receiver) {
          if (prop === call) return async () => Promise.reject(new Error(message));
          const v = Reflect.get(target, prop, receiver);
          return typeof v === 'function' ? v.bind(target) : v;
        },
      });
      const service = h.restart({ vault: ports, rotator: ports });
      const r = await service.request(actor.aliceSlack, DEMO_VAULT, DEMO_SECRET, 'x');
      const done = await (await service.approve(actor.carol, r.id, r.planHash)).execution;
      return { h, done, r };
    };
  };

  it.each([
    ['regenerateKey', 'regenerating', 0, 0],
    ['setSecret', 'writing-secret', 1, 0],
    ['getSecretValue', 'verifying', 1, 1],
  ] as const)(
    'records a failing %s as failed at step %s with the error',
    async (call, step, regenerations, writes) => {
      const { h, done, r } = await failing(call, 'ARM said 500 Internal Server Error')();
      expect(done?.state).toBe('failed');
      expect(done?.execution.failedStep).toBe(step);
      expect(done?.execution.error).toContain('ARM said 500');
      expect(h.ports.regenerations).toBe(regenerations);
      expect(h.ports.writes).toBe(writes);
      expect((await h.store.listAudit(r.id)).at(-1)).toMatchObject({ action: 'rotation.failed' });
      // A failed rotation is terminal: resume does not retry it.
      expect(await h.restart().resumeIncomplete()).toEqual([]);
    },
  );

  it('fails verification when the stored version does not hold the account key', async () => {
    const h = await makeHarness();
    const lying = new Proxy(h.ports, {
      get(target, prop, receiver) {
        if (prop === 'getSecretValue') return async () => 'some other value';
        const v = Reflect.get(target, prop, receiver);
        return typeof v === 'function' ? v.bind(target) : v;
      },
    });
    const service = h.restart({ vault: lying, rotator: lying });
    const r = await service.request(actor.aliceSlack, DEMO_VAULT, DEMO_SECRET, 'x');
    const done = await (await service.approve(actor.carol, r.id, r.planHash)).execution;
    expect(done?.execution).toMatchObject({ failedStep: 'verifying' });
    expect(done?.execution.error).toMatch(/does not hold the current key2/);
  });
});
