import { createHash } from 'node:crypto';
import { odata, TableClient } from '@azure/data-tables';
import { SeenKeysTable } from '../src/store/azure-table/seen-keys-table.js';
import { decodeKey, encodeKey } from '../src/store/azure-table/table-keys.js';
import { startAzurite } from '../test/fakes/azurite.js';
import type { BenchResult } from './types.js';

const scale = Number(process.env.BENCH_SCALE ?? 1);
const ASKED = 3_000;

export async function run(): Promise<BenchResult[]> {
  const rowsInTable = Number(process.env.BENCH_SEEN_ROWS ?? Math.max(3_000, Math.round(3_000 * scale)));
  const azurite = await startAzurite();
  try {
    const client = TableClient.fromConnectionString(azurite.connectionString, 'benchSeen', {
      allowInsecureConnection: true,
    });
    await client.createTable();
    const table = new SeenKeysTable(client);
    const key = (i: number) => ({ key: `evt-${i}-${'x'.repeat(40)}`, timeMs: 1_700_000_000_000 + i });
    for (let i = 0; i < rowsInTable; i += 3_000)
      await table.markSeen(Array.from({ length: Math.min(3_000, rowsInTable - i) }, (_, j) => key(i + j)));
    // Every other key asked is in the table; the rest are new.
    const asked = Array.from({ length: ASKED }, (_, j) => key(j % 2 === 0 ? j : rowsInTable + j));
    const expected = asked.filter((_, j) => j % 2 === 1).length;
    const timed = async (f: () => Promise<Set<string>>) => {
      const t = performance.now();
      const unseen = await f();
      if (unseen.size !== expected) throw new Error(`expected ${expected} unseen keys, got ${unseen.size}`);
      return performance.now() - t;
    };
    const runs = 3;
    const reads: number[] = [];
    const ors: number[] = [];
    for (let r = 0; r < runs; r++) {
      reads.push(await timed(() => table.filterUnseen(asked)));
      ors.push(await timed(() => orQueries(client, asked)));
    }
    const point = median(reads);
    const or = median(ors);
    return [
      {
        name: `store.azure-table.filterUnseen, ${ASKED} keys`,
        metric: 'ms (median)',
        value: point,
        baseline: or,
        ratio: point / or,
        note: `Azurite, ${rowsInTable} keys in the table, ${runs} runs; baseline = OR-of-14-RowKeys queries, 8 in flight`,
      },
    ];
  } finally {
    azurite.stop();
  }
}

/** The earlier filterUnseen: per partition, `$filter` with up to 14 RowKeys OR-ed, 8 queries in flight. */
async function orQueries(client: TableClient, keys: ReadonlyArray<{ key: string }>): Promise<Set<string>> {
  const unseen = new Set(keys.map((k) => k.key));
  const byPartition = new Map<string, string[]>();
  for (const k of unseen) {
    const p = `s${createHash('sha256').update(k).digest('hex').slice(0, 1)}`;
    byPartition.set(p, [...(byPartition.get(p) ?? []), k]);
  }
  const queries: Array<{ partition: string; keys: string[] }> = [];
  for (const [partition, list] of byPartition)
    for (let i = 0; i < list.length; i += 14) queries.push({ partition, keys: list.slice(i, i + 14) });
  let next = 0;
  const lane = async () => {
    while (next < queries.length) {
      const q = queries[next++] as { partition: string; keys: string[] };
      const rows = q.keys.map((k) => odata`RowKey eq ${encodeKey(k)}`).join(' or ');
      const filter = `${odata`PartitionKey eq ${q.partition}`} and (${rows})`;
      for await (const e of client.listEntities({ queryOptions: { filter, select: ['RowKey'] } }))
        if (e.rowKey !== undefined) unseen.delete(decodeKey(e.rowKey));
    }
  };
  await Promise.all(Array.from({ length: 8 }, lane));
  return unseen;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] as number;
}
