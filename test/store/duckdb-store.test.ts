import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DuckDbStore } from '../../src/store/duckdb/duckdb-store.js';
import { openDuckDb } from '../../src/store/duckdb/open-duckdb.js';
import type { Store } from '../../src/store/store.js';
import { describeStoreContract } from './store-contract.js';

let dir: string;
let n = 0;
const paths = new Map<Store, string>();

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'kvw-duckdb-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describeStoreContract('DuckDbStore', {
  async open() {
    const path = join(dir, `nested-${++n}`, 'kv-warden.duckdb');
    const store = await DuckDbStore.open(path);
    paths.set(store, path);
    return store;
  },
  async reopen(store) {
    const path = paths.get(store);
    if (!path) throw new Error('unknown store');
    await store.close();
    const again = await DuckDbStore.open(path);
    paths.set(again, path);
    return again;
  },
});

describe('openDuckDb shared handle', () => {
  it('serves the store and another area’s tables from one file', async () => {
    const db = await openDuckDb(join(dir, 'shared.duckdb'));
    const store = await DuckDbStore.over(db);
    await db.run('CREATE TABLE events (id INTEGER, vault VARCHAR, at_ms BIGINT)');
    expect(
      await db.appendRows('events', [
        [1, 'kv-a', 10n],
        [2, 'kv-b', null],
      ]),
    ).toBe(2);
    await store.create('alerts', 'x', { ok: true });
    await store.close(); // does not own the handle
    expect(await db.all('SELECT id, vault, at_ms FROM events ORDER BY id')).toEqual([
      { id: 1, vault: 'kv-a', at_ms: 10n },
      { id: 2, vault: 'kv-b', at_ms: null },
    ]);
    expect(await db.all<{ n: bigint }>('SELECT count(*) AS n FROM store_documents')).toEqual([{ n: 1n }]);
    await db.close();
    await expect(db.run('SELECT 1')).rejects.toThrow(/closed/);
  });

  it('rolls a failed transaction back and keeps serving later calls', async () => {
    const db = await openDuckDb(':memory:');
    await db.run('CREATE TABLE t (k VARCHAR PRIMARY KEY)');
    await expect(
      db.transaction(async (tx) => {
        await tx.run("INSERT INTO t VALUES ('a')");
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    expect(await db.all('SELECT * FROM t')).toEqual([]);
    await expect(db.run("INSERT INTO t VALUES ('a'), ('a')")).rejects.toThrow();
    expect(await db.run("INSERT INTO t VALUES ('b')")).toBe(1);
    await db.close();
  });
});

describe('openDuckDb across processes', () => {
  it('explains that another process holds the file', async () => {
    const { spawnSync } = await import('node:child_process');
    const path = join(dir, 'locked.duckdb');
    const db = await openDuckDb(path);
    try {
      const script = `import { openDuckDb } from ${JSON.stringify(new URL('../../src/store/duckdb/open-duckdb.ts', import.meta.url).pathname)};
        try { await openDuckDb(${JSON.stringify(path)}); console.log('opened'); } catch (e) { console.log(e.code, e.message); }`;
      const child = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
        encoding: 'utf8',
      });
      expect(child.stdout).toMatch(/^KVW_NOT_AVAILABLE .*another process \(PID \d+\) has it open/);
    } finally {
      await db.close();
    }
  });
});
