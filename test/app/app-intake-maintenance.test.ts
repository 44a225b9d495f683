import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { POLICY_NOTICES } from '../../src/alerts/policy-notices.js';
import { type App, createApp } from '../../src/app.js';
import { parseAuditBody } from '../../src/audit/parse-body.js';
import { loadConfig } from '../../src/config/load.js';
import { FakeClock } from '../../src/util/clock.js';
import { silentLogger } from '../../src/util/logger.js';
import { buildNotice, buildRecord, toEventGrid } from '../fixtures/records.js';

const PATCH_AT = Date.parse('2025-06-02T11:02:10Z');
const HOUR = 3_600_000;

let dir: string;
let app: App | undefined;
beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'kvw-app-maintenance-'));
});
afterEach(async () => {
  await app?.stop();
  app = undefined;
  await rm(dir, { recursive: true, force: true });
});

describe('serve wires the access-policy notice link and the seen-key pruning', () => {
  it('links a VaultAccessPolicyChanged notice to the alert, then forgets keys and notices after sources.eventKeyRetention', async () => {
    const config = loadConfig({
      text: [
        `store: { duckdb: ${JSON.stringify(path.join(dir, 'kv.duckdb'))} }`,
        'server: { port: 0 }',
        'detection: { lateness: 1m }',
        'sources: { eventKeyRetention: 3h }',
      ].join('\n'),
      env: {},
    });
    const clock = new FakeClock(PATCH_AT + 10 * 60_000);
    app = await createApp(config, { clock, logger: silentLogger, cwd: dir, idleMs: 0, features: [] });
    const { pipeline, alerts, store } = app.context;
    const deliver = async (body: unknown, entity: string) =>
      pipeline.ingest(parseAuditBody(body, entity).items, { source: `servicebus:${entity}` });
    const record = { records: [buildRecord({ preset: 'accessPolicyAdded', at: PATCH_AT })] };
    const notice = toEventGrid(
      buildNotice({
        id: 'eg-1',
        type: 'VaultAccessPolicyChanged',
        objectType: 'Vault',
        time: new Date(PATCH_AT + 900).toISOString(),
      }),
    );

    await deliver(notice, 'kv-eventgrid');
    await deliver(record, 'kv-audit');
    await pipeline.advanceToClock();
    const [alert] = await alerts.listOpen();
    expect(alert?.rule).toBe('access-policy-added');
    expect(alert?.corroborations?.map((c) => c.id)).toEqual(['eg-1']);
    const keys = parseAuditBody(record, 'x').items.flatMap((i) =>
      i.kind === 'audit' ? [{ key: i.event.key, timeMs: i.event.timeMs }] : [],
    );
    expect((await store.filterUnseen(keys)).size).toBe(0);

    // Four hours on (past the 3 h retention) the next checkpoint prunes the key and the stored notice.
    clock.advance(4 * HOUR);
    await deliver({ records: [buildRecord({ at: PATCH_AT + 4 * HOUR })] }, 'kv-audit');
    await pipeline.stop(); // waits for the pruning pass the checkpoint started
    expect((await store.filterUnseen(keys)).size).toBe(1);
    expect(await store.list(POLICY_NOTICES)).toEqual([]);
    // The alert itself is kept, with its corroboration.
    expect((await alerts.get(alert?.id ?? ''))?.corroborations).toHaveLength(1);
  });
});
