import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DuckDbStore } from '../../src/store/duckdb/duckdb-store.js';
import { Crash, DyingPorts, DyingStore, Power } from './crash-harness.js';
import { actor, DEMO_ACCOUNT_ID, DEMO_SECRET, DEMO_VAULT, FULL_TRAIL, makeHarness } from './harness.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'kvw-rot-duck-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('rotation on the embedded DuckDB store', () => {
  it('survives a crash after regeneration across a real close and reopen of the database file', async () => {
    const path = join(dir, 'crash.duckdb');
    const first = await DuckDbStore.open(path);
    const h = await makeHarness({ store: first });
    const power = new Power();
    const ports = new DyingPorts(h.ports, power, 'regenerateKey');
    const before = h.restart({ store: new DyingStore(first, power), vault: ports, rotator: ports });
    const r = await before.request(actor.aliceSlack, DEMO_VAULT, DEMO_SECRET, 'crash on duckdb');
    const err = await before
      .approve(actor.carol, r.id, r.planHash)
      .then((x) => x.execution)
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Crash);
    await first.close();

    const reopened = await DuckDbStore.open(path);
    try {
      const h2 = await makeHarness({ store: reopened });
      expect((await h2.service.get(r.id))?.state).toBe('regenerating');
      const [done] = await h2.service.resumeIncomplete();
      expect(done?.state).toBe('done');
      expect(h2.ports.regenerations).toBe(0); // the crashed process already regenerated; nobody does it again
      expect(h2.ports.writes).toBe(1);
      const key2 = (await h2.provider.listKeys(DEMO_ACCOUNT_ID)).find((k) => k.keyName === 'key2')?.value;
      expect(await h2.provider.getSecretValue(DEMO_VAULT, DEMO_SECRET)).toBe(key2);
      expect((await reopened.listAudit(r.id)).map((e) => e.action)).toEqual(FULL_TRAIL);
    } finally {
      await reopened.close();
    }
  });
});
