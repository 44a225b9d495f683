import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DuckDbStore } from '../../src/store/duckdb/duckdb-store.js';

/**
 * A DuckDB store in a fresh temporary folder; closing it and removing the folder is pushed onto
 * `cleanups` (run them in afterEach).
 */
export async function tempDuckDbStore(
  prefix: string,
  cleanups: Array<() => Promise<void>>,
): Promise<DuckDbStore> {
  const dir = await mkdtemp(path.join(tmpdir(), prefix));
  const store = await DuckDbStore.open(path.join(dir, 'kv.duckdb'));
  cleanups.push(async () => {
    await store.close();
    await rm(dir, { recursive: true, force: true });
  });
  return store;
}
