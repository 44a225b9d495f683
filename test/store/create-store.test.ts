import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, inject, it } from 'vitest';
import { readEnv } from '../../src/config/env.js';
import { parseConfig } from '../../src/config/load.js';
import { ErrorCode } from '../../src/errors.js';
import { AzureTableStore } from '../../src/store/azure-table/azure-table-store.js';
import { createStore } from '../../src/store/create-store.js';
import { DuckDbStore } from '../../src/store/duckdb/duckdb-store.js';

describe('createStore', () => {
  it('opens the embedded DuckDB file by default, creating its directory under cwd', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'kvw-create-'));
    try {
      const config = parseConfig({}, readEnv({}));
      const store = await createStore(config, { cwd: dir });
      expect(store).toBeInstanceOf(DuckDbStore);
      await store.create('alerts', 'a', { ok: 1 });
      await store.close();
      expect((await stat(join(dir, '.kv-warden', 'kv-warden.duckdb'))).isFile()).toBe(true);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('uses Azure Table storage from the connection string in the environment', async () => {
    const env = readEnv({ AZURE_TABLES_CONNECTION_STRING: inject('azuriteConnectionString') });
    const config = parseConfig({ store: { azureTable: { tablePrefix: 'factory' } } }, env);
    const store = await createStore(config);
    expect(store).toBeInstanceOf(AzureTableStore);
    await store.create('alerts', 'b', { ok: 1 });
    expect((await store.get('alerts', 'b'))?.value).toEqual({ ok: 1 });
  });

  it('names the missing setting when Azure Table storage has no endpoint or connection string', async () => {
    const config = parseConfig({ store: { azureTable: {} } }, readEnv({}));
    await expect(createStore(config)).rejects.toMatchObject({
      code: ErrorCode.ConfigInvalid,
      keyPath: 'store.azureTable',
    });
    const withEndpoint = parseConfig(
      { store: { azureTable: { endpoint: 'https://acct.table.core.windows.net' } } },
      readEnv({}),
    );
    await expect(createStore(withEndpoint)).rejects.toMatchObject({ keyPath: 'store.azureTable.endpoint' });
  });
});
