import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { renderRotationCard } from '../../src/rotation/rotation-card.js';
import type { RotationRecord } from '../../src/rotation/rotation-record.js';
import { createLogger } from '../../src/util/logger.js';
import { actor, DEMO_SECRET, DEMO_VAULT, makeHarness } from './harness.js';

const CANARY = 'CANARY-7f3a9c-KEYVALUE';

describe('key values never leave the vault', () => {
  it('plants canary key values and finds none in rotation documents, audit trail, errors, cards or texts', async () => {
    let n = 0;
    const logLines: string[] = [];
    const logger = createLogger({
      level: 'debug',
      destination: new Writable({
        write(chunk, _enc, done) {
          logLines.push(String(chunk));
          done();
        },
      }),
    });
    const h = await makeHarness({ newKeyValue: () => `${CANARY}-${++n}-${'A'.repeat(60)}`, logger });
    const thrown: unknown[] = [];

    // 1. A successful rotation.
    const ok = await h.service.request(actor.aliceSlack, DEMO_VAULT, DEMO_SECRET, 'canary run');
    await (await h.service.approve(actor.carol, ok.id, ok.planHash)).execution;

    // 2. A rotation whose verify step fails with an upstream error that quotes the value it saw.
    const leaky = new Proxy(h.ports, {
      get(target, prop, receiver) {
        if (prop === 'getSecretValue') {
          return async (vault: string, name: string, version?: string) => {
            const value = await target.getSecretValue(vault, name, version);
            throw new Error(`mismatch: stored ${value}`);
          };
        }
        const v = Reflect.get(target, prop, receiver);
        return typeof v === 'function' ? v.bind(target) : v;
      },
    });
    const service = h.restart({ vault: leaky, rotator: leaky });
    const bad = await service.request(actor.aliceSlack, DEMO_VAULT, DEMO_SECRET, 'leaky run');
    const failed = await (await service.approve(actor.carol, bad.id, bad.planHash)).execution;
    expect(failed?.state).toBe('failed');

    // 3. Refusals along the way.
    const third = await h.service.request(actor.aliceSlack, DEMO_VAULT, DEMO_SECRET, 'refusals');
    for (const attempt of [
      () => h.service.approve(actor.aliceTeams, third.id, third.planHash),
      () => h.service.approve(actor.bob, third.id, third.planHash),
      () => h.service.approve(actor.carol, third.id, 'bad'),
    ]) {
      await attempt().catch((e: unknown) => thrown.push(e));
    }
    expect(thrown).toHaveLength(3);

    // The canary really is in the vault (the scan would be meaningless otherwise) ...
    expect(JSON.stringify(await h.store.list('local-vault'))).toContain(CANARY);

    // ... and nowhere else.
    const rotations = await h.store.list<RotationRecord>('rotations');
    expect(rotations).toHaveLength(3);
    const outgoing: string[] = [
      JSON.stringify(rotations),
      ...(await Promise.all(rotations.map(async (r) => JSON.stringify(await h.store.listAudit(r.id))))),
      ...h.changes.map((r) => JSON.stringify(renderRotationCard(r))),
      ...thrown.map((e) => `${(e as Error).message} ${(e as { userMessage?: string }).userMessage ?? ''}`),
      failed?.execution.error ?? '',
      ...logLines,
    ];
    expect(logLines.some((l) => l.includes('rotation failed'))).toBe(true);
    expect(failed?.execution.error).toContain('[redacted]');
    for (const payload of outgoing) expect(payload).not.toContain(CANARY);
  });
});
