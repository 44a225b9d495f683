import { randomBytes } from 'node:crypto';
import { describe, expect, inject, it } from 'vitest';
import { AzureTableStore } from '../../src/store/azure-table/azure-table-store.js';
import { MAX_BODY_CHARS } from '../../src/store/azure-table/body-chunks.js';
import type { Store } from '../../src/store/store.js';
import { describeStoreContract } from './store-contract.js';

const connectionString = inject('azuriteConnectionString');
const prefixes = new Map<Store, string>();
const newPrefix = () => `t${randomBytes(6).toString('hex')}`;

describeStoreContract('AzureTableStore (Azurite)', {
  async open() {
    const tablePrefix = newPrefix();
    const store = await AzureTableStore.open({ connectionString, tablePrefix });
    prefixes.set(store, tablePrefix);
    return store;
  },
  async reopen(store) {
    const tablePrefix = prefixes.get(store);
    if (!tablePrefix) throw new Error('unknown store');
    await store.close();
    return AzureTableStore.open({ connectionString, tablePrefix });
  },
});

describe('AzureTableStore specifics', () => {
  it('splits bodies larger than the 64 KiB property limit and reassembles them', async () => {
    const store = await AzureTableStore.open({ connectionString, tablePrefix: newPrefix() });
    // ~230 K characters of JSON (non-ASCII escaped) spread over several properties.
    const big = { text: `${'🔑é'.repeat(10_000)}${'a'.repeat(100_000)}`, n: 1 };
    const v1 = await store.create('checkpoints', 'big', big);
    expect(v1).toBeDefined();
    expect((await store.get('checkpoints', 'big'))?.value).toEqual(big);
    // Replace with a small body: old chunks must not leak into the new value.
    const v2 = await store.update('checkpoints', 'big', { small: true }, v1?.version ?? '');
    expect((await store.get('checkpoints', 'big'))?.value).toEqual({ small: true });
    const again = await store.update('checkpoints', 'big', big, v2.version);
    expect((await store.list('checkpoints'))[0]).toEqual({ id: 'big', value: big, version: again.version });
  });

  it('rejects a document beyond the entity size limit with a clear error', async () => {
    const store = await AzureTableStore.open({ connectionString, tablePrefix: newPrefix() });
    await expect(store.create('checkpoints', 'huge', { text: 'x'.repeat(MAX_BODY_CHARS) })).rejects.toThrow(
      /limited to \d+ characters/,
    );
    expect(await store.get('checkpoints', 'huge')).toBeUndefined();
  });

  it('rejects an id longer than the RowKey limit with a clear error', async () => {
    const store = await AzureTableStore.open({ connectionString, tablePrefix: newPrefix() });
    await expect(store.create('alerts', 'é'.repeat(300), {})).rejects.toThrow(/limited to 512 UTF-8 bytes/);
  });
});
