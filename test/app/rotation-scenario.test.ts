import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createRotationFeature, rotationFeature } from '../../src/app/rotation-feature.js';
import { type App, createApp } from '../../src/app.js';
import { createRotationProviders } from '../../src/azure/rotation-providers.js';
import type { ActionOutcome, ChatActor, CommandReply } from '../../src/chat/chat-surface.js';
import { loadConfig } from '../../src/config/load.js';
import { LOCAL_VAULT, LocalVaultProvider } from '../../src/rotation/local-vault-provider.js';
import type { SecretVault, StorageKey, StorageKeyName, StorageKeyRotator } from '../../src/rotation/ports.js';
import { DEMO_ACCOUNT_ID, DEMO_SECRET, DEMO_VAULT } from '../../src/rotation/seed-demo-vault.js';
import { FakeClock } from '../../src/util/clock.js';
import { createLogger } from '../../src/util/logger.js';

const T0 = Date.parse('2026-01-12T09:00:00Z');
const alice: ChatActor = { surface: 'console', userId: 'alice' };
const aliceSlack: ChatActor = { surface: 'slack', userId: 'U01ALICE' };
const bob: ChatActor = { surface: 'console', userId: 'bob' };
const carol: ChatActor = { surface: 'console', userId: 'carol' };

let dir: string;
let apps: App[];
beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'kvw-rotation-app-'));
  apps = [];
});
afterEach(async () => {
  for (const app of apps) await app.stop();
  await rm(dir, { recursive: true, force: true });
});

/** alice requests (and holds approver too, so only the two-person rule stops her); carol approves; bob views. */
function config() {
  return loadConfig({
    text: [
      `store: { duckdb: ${JSON.stringify(path.join(dir, 'kv.duckdb'))} }`,
      'server: { port: 0 }',
      'people: { alice: { slack: U01ALICE }, bob: {}, carol: {} }',
      'roles: { requester: [alice], approver: [alice, carol], viewer: [bob] }',
      'rotation: { channel: { console: approvers } }',
    ].join('\n'),
    env: {},
  });
}

/** Counts side effects on the real (local vault) ports so "exactly once" can be asserted. */
class CountingPorts implements SecretVault, StorageKeyRotator {
  readonly regenerated: StorageKeyName[] = [];
  writes = 0;
  constructor(private readonly inner: SecretVault & StorageKeyRotator) {}
  getSecretProperties(vault: string, name: string) {
    return this.inner.getSecretProperties(vault, name);
  }
  async setSecret(...args: Parameters<SecretVault['setSecret']>) {
    const r = await this.inner.setSecret(...args);
    this.writes++;
    return r;
  }
  getSecretValue(vault: string, name: string, version?: string) {
    return this.inner.getSecretValue(vault, name, version);
  }
  async regenerateKey(accountId: string, keyName: StorageKeyName) {
    await this.inner.regenerateKey(accountId, keyName);
    this.regenerated.push(keyName);
  }
  listKeys(accountId: string): Promise<StorageKey[]> {
    return this.inner.listKeys(accountId);
  }
}

function capturingLogger(lines: string[]) {
  return createLogger({
    level: 'debug',
    destination: new Writable({
      write(chunk, _enc, done) {
        lines.push(String(chunk));
        done();
      },
    }),
  });
}

interface SecretDoc {
  versions: Array<{ version: string; value: string; tags: Record<string, string> }>;
}

async function secretDoc(app: App): Promise<SecretDoc> {
  const row = await app.context.store.get<SecretDoc>(
    LOCAL_VAULT,
    `secret|${DEMO_VAULT}|${DEMO_SECRET.toLowerCase()}`,
  );
  if (!row) throw new Error('demo secret missing');
  return row.value;
}

function actionData(card: unknown, verb: string): Record<string, unknown> {
  const actions = (card as { actions?: Array<{ verb?: string; data?: Record<string, unknown> }> }).actions;
  const found = actions?.find((a) => a.verb === verb);
  if (!found?.data) throw new Error(`no ${verb} button on the card`);
  return found.data;
}

describe('rotation in the app', () => {
  it('runs request → refusals → approval → done through createApp, once, with no key value outside the vault', async () => {
    const clock = new FakeClock(T0);
    const logLines: string[] = [];
    let ports: CountingPorts | undefined;
    const feature = createRotationFeature({
      providers: async (ctx) => {
        const real = await createRotationProviders(ctx.config, { store: ctx.store, clock: ctx.clock });
        expect(real.kind).toBe('local');
        ports = new CountingPorts(real.vault as LocalVaultProvider);
        return { vault: ports, rotator: ports, kind: real.kind };
      },
    });
    const app = await createApp(config(), {
      clock,
      logger: capturingLogger(logLines),
      cwd: dir,
      consoleToken: 'tok',
      idleMs: 0,
      features: [feature],
    });
    apps.push(app);
    await app.start();
    const { handler, outbox } = app.context;
    const replies: Array<CommandReply | ActionOutcome> = [];
    const local = new LocalVaultProvider(app.context.store, clock);
    const keysBefore = await local.listKeys(DEMO_ACCOUNT_ID);
    const before = await secretDoc(app);
    expect(before.versions).toHaveLength(1);
    expect(before.versions[0]!.tags.CredentialId).toBe('key1');

    // 1. The requester asks; the card goes to the approvers' channel.
    clock.advance(60_000);
    const requested = await handler.handleCommand(alice, '/kv rotate kv-demo-payments storage-key scheduled');
    replies.push(requested);
    expect(requested.text).toMatch(/^Rotation rot-[a-z0-9-]+ requested: regenerate key2 of stdemopayments/);
    await outbox.drain();
    const rotationCards = () =>
      app.console!.list().filter((m) => m.kind === 'card' && JSON.stringify(m.card).includes('Key rotation'));
    expect(rotationCards()).toHaveLength(1);
    const message = rotationCards()[0]!;
    expect(message.channel).toBe('approvers');
    expect(JSON.stringify(message.card)).toContain('Waiting for approval');
    const data = actionData(message.card, 'rotation.approve');
    const rotationId = String(data.rotationId);
    const approve = { verb: 'rotation.approve', data };
    const cardNow = () => JSON.stringify(app.console!.get(message.id)?.card);
    const pendingCard = cardNow();

    // 2. Refusals: the requester herself, her other chat account, a person who is no approver.
    for (const [who, reason] of [
      [alice, /You requested this rotation, so you cannot approve it/],
      [aliceSlack, /You requested this rotation, so you cannot approve it/],
      [bob, /not authorised|lacks role|approver/i],
    ] as const) {
      const refused = await handler.handleAction(who, approve);
      replies.push(refused);
      expect(refused.notice).toMatch(reason);
      expect(JSON.stringify(refused.card?.card)).toContain('Waiting for approval');
      await outbox.drain();
      expect(cardNow()).toBe(pendingCard);
    }
    expect(ports!.regenerated).toEqual([]);

    // 3. An approver approves: the rotation executes and the card in the channel ends as done.
    clock.advance(60_000);
    const approved = await handler.handleAction(carol, approve);
    replies.push(approved);
    expect(approved.notice).toBeUndefined();
    await vi.waitFor(
      async () => {
        await outbox.drain();
        expect(cardNow()).toContain('Rotated');
      },
      { timeout: 10_000, interval: 20 },
    );
    const after = await secretDoc(app);
    expect(after.versions).toHaveLength(2);
    const newVersion = after.versions[1]!;
    expect(cardNow()).toContain(newVersion.version);
    expect(newVersion.tags.CredentialId).toBe('key2');
    expect(newVersion.tags.ProviderAddress).toBe(before.versions[0]!.tags.ProviderAddress);

    // Exactly one regeneration, of the alternate key, and one new secret version holding it.
    expect(ports!.regenerated).toEqual(['key2']);
    expect(ports!.writes).toBe(1);
    const keysAfter = await local.listKeys(DEMO_ACCOUNT_ID);
    const key = (keys: StorageKey[], name: StorageKeyName) => keys.find((k) => k.keyName === name)!.value;
    expect(key(keysAfter, 'key1')).toBe(key(keysBefore, 'key1'));
    expect(key(keysAfter, 'key2')).not.toBe(key(keysBefore, 'key2'));
    expect(newVersion.value).toBe(key(keysAfter, 'key2'));

    // A late click on the finished card changes nothing.
    const late = await handler.handleAction(carol, approve);
    replies.push(late);
    expect(late.notice).toBeDefined();
    expect(ports!.regenerated).toEqual(['key2']);

    // 4. /kv rotations lists it as done.
    const list = await handler.handleCommand(bob, '/kv rotations');
    replies.push(list);
    expect(list.text).toContain('0 open, 1 finished');
    expect(list.text).toMatch(
      new RegExp(`done\\s+Rotation ${rotationId} .*new version ${newVersion.version}`),
    );

    // 5. Canary scan: every key value ever held (both keys before and after, every secret version) is in the
    // local vault's own documents and nowhere else: not in cards, replies, store rows, audit trail or logs.
    await app.stop();
    apps = [];
    const values = [
      ...keysBefore.map((k) => k.value),
      ...keysAfter.map((k) => k.value),
      ...after.versions.map((v) => v.value),
    ];
    expect(new Set(values).size).toBe(3);
    for (const v of values) expect(v.length).toBeGreaterThan(40);
    const reopened = await createApp(config(), {
      clock,
      logger: capturingLogger([]),
      cwd: dir,
      features: [],
    });
    apps.push(reopened);
    const duckdb = reopened.context.duckdb!;
    const vaultRows = await duckdb.all<{ body: string }>(
      `SELECT CAST(body AS VARCHAR) AS body FROM store_documents WHERE collection = ?`,
      [LOCAL_VAULT],
    );
    const otherRows = await duckdb.all(
      `SELECT collection, id, CAST(body AS VARCHAR) AS body FROM store_documents WHERE collection <> ?`,
      [LOCAL_VAULT],
    );
    const auditRows = await duckdb.all('SELECT * FROM store_audit_trail');
    expect(otherRows.some((r) => r.collection === 'rotations')).toBe(true);
    expect(auditRows.length).toBeGreaterThanOrEqual(4);
    // The scan is meaningful: the values held now are in the vault's rows (the replaced key2 is gone for good).
    const vaultText = vaultRows.map((r) => r.body).join('\n');
    for (const v of [...keysAfter.map((k) => k.value), ...after.versions.map((v) => v.value)])
      expect(vaultText).toContain(v);
    expect(vaultText).not.toContain(key(keysBefore, 'key2'));
    const outside = [
      JSON.stringify(otherRows),
      JSON.stringify(auditRows, (_k, v) => (typeof v === 'bigint' ? String(v) : v)),
      JSON.stringify(replies),
      JSON.stringify(reopened.console?.list() ?? []),
      ...logLines,
    ].join('\n');
    expect(logLines.some((l) => l.includes(rotationId))).toBe(true);
    for (const v of values) expect(outside).not.toContain(v);
  });

  it('offers Request rotation on a SecretNearExpiry card; a requester’s click opens a rotation, a viewer’s is refused', async () => {
    const clock = new FakeClock(T0);
    const app = await createApp(config(), {
      clock,
      logger: capturingLogger([]),
      cwd: dir,
      consoleToken: 'tok',
      idleMs: 0,
      features: [rotationFeature],
    });
    apps.push(app);
    await app.start();
    const { pipeline, outbox, handler } = app.context;
    await pipeline.ingest(
      [
        {
          kind: 'notice',
          notice: {
            id: '6f1c0f1e-0000-4000-8000-000000000001',
            type: 'SecretNearExpiry',
            time: new Date(T0).toISOString(),
            timeMs: T0,
            vault: DEMO_VAULT,
            objectType: 'Secret',
            objectName: DEMO_SECRET,
            expires: new Date(T0 + 20 * 86_400_000).toISOString(),
            schema: 'eventgrid',
          },
        },
      ],
      { source: 'eventgrid:test' },
    );
    await outbox.drain();
    const notice = app.console!.list().find((m) => JSON.stringify(m.card).includes('Expiring soon'));
    expect(notice).toBeDefined();
    const data = actionData(notice!.card, 'rotation.request');
    expect(data).toEqual({ vault: DEMO_VAULT, secret: DEMO_SECRET });

    const refused = await handler.handleAction(bob, { verb: 'rotation.request', data });
    expect(refused.notice).toMatch(/not authorised|lacks role|requester/i);
    expect(await handler.handleCommand(bob, '/kv rotations')).toMatchObject({ text: 'No rotations yet.' });

    const outcome = await handler.handleAction(alice, { verb: 'rotation.request', data });
    expect(outcome.notice).toMatch(/^Rotation rot-[a-z0-9-]+ requested; an approver must approve it\.$/);
    expect(JSON.stringify(outcome.card?.card)).toContain('requested from a SecretNearExpiry notice');
    await outbox.drain();
    const cards = app.console!.list().filter((m) => JSON.stringify(m.card).includes('Key rotation'));
    expect(cards.map((m) => m.channel)).toEqual(['approvers']);
    const list = await handler.handleCommand(bob, '/kv rotations');
    expect(list.text).toMatch(/^1 open, 0 finished/);

    // The same button again while that rotation is open does not open a second one.
    const again = await handler.handleAction(alice, { verb: 'rotation.request', data });
    expect(again.notice).toMatch(/already pending/);
    expect((await handler.handleCommand(bob, '/kv rotations')).text).toMatch(/^1 open, 0 finished/);
  });

  it('expires a pending request after its TTL through the periodic sweep and updates its card', async () => {
    const clock = new FakeClock(T0);
    const app = await createApp(config(), {
      clock,
      logger: capturingLogger([]),
      cwd: dir,
      idleMs: 0,
      features: [createRotationFeature({ expirySweepMs: 10 })],
    });
    apps.push(app);
    await app.start();
    const { handler, outbox } = app.context;
    await handler.handleCommand(alice, '/kv rotate kv-demo-payments storage-key scheduled');
    clock.advance(61 * 60_000);
    await vi.waitFor(
      async () => {
        expect((await handler.handleCommand(bob, '/kv rotations')).text).toMatch(/^0 open, 1 finished/);
        await outbox.drain();
        const card = app.console!.list().find((m) => JSON.stringify(m.card).includes('Key rotation'));
        expect(JSON.stringify(card?.card)).toContain('Expired without approval');
      },
      { timeout: 5_000, interval: 20 },
    );
    const card = app.console!.list().find((m) => JSON.stringify(m.card).includes('Key rotation'));
    expect(JSON.stringify(card?.card)).not.toContain('rotation.approve');
  });

  it('resumes at start a rotation a stop cut off mid-way, on the same DuckDB file, with one regeneration', async () => {
    const clock = new FakeClock(T0);
    // First run: the regeneration call never returns (a process killed while ARM is working).
    const hung = createRotationFeature({
      stopWaitMs: 50,
      providers: async (ctx) => {
        const real = await createRotationProviders(ctx.config, { store: ctx.store, clock: ctx.clock });
        const local = real.vault as LocalVaultProvider;
        const stuck: SecretVault & StorageKeyRotator = {
          getSecretProperties: (v, n) => local.getSecretProperties(v, n),
          setSecret: (...a) => local.setSecret(...a),
          getSecretValue: (v, n, ver) => local.getSecretValue(v, n, ver),
          listKeys: (id) => local.listKeys(id),
          regenerateKey: () => new Promise<void>(() => undefined),
        };
        return { vault: stuck, rotator: stuck, kind: 'local' };
      },
    });
    const first = await createApp(config(), {
      clock,
      logger: capturingLogger([]),
      cwd: dir,
      idleMs: 0,
      features: [hung],
    });
    await first.start();
    await first.context.handler.handleCommand(alice, '/kv rotate kv-demo-payments storage-key scheduled');
    await first.context.outbox.drain();
    const card = first.console!.list().find((m) => JSON.stringify(m.card).includes('Key rotation'))!;
    const approved = await first.context.handler.handleAction(carol, {
      verb: 'rotation.approve',
      data: actionData(card.card, 'rotation.approve'),
    });
    expect(approved.notice).toBeUndefined();
    await vi.waitFor(
      async () => {
        expect((await first.context.handler.handleCommand(bob, '/kv rotations')).text).toMatch(
          /regenerating/,
        );
      },
      { timeout: 5_000, interval: 20 },
    );
    await first.stop();
    const keysBefore = await (async () => {
      const peek = await createApp(config(), { clock, logger: capturingLogger([]), cwd: dir, features: [] });
      try {
        return await new LocalVaultProvider(peek.context.store, clock).listKeys(DEMO_ACCOUNT_ID);
      } finally {
        await peek.stop();
      }
    })();

    // Second run with the real providers: start-up resumes it to done.
    let ports: CountingPorts | undefined;
    const second = await createApp(config(), {
      clock,
      logger: capturingLogger([]),
      cwd: dir,
      idleMs: 0,
      features: [
        createRotationFeature({
          providers: async (ctx) => {
            const real = await createRotationProviders(ctx.config, { store: ctx.store, clock: ctx.clock });
            ports = new CountingPorts(real.vault as LocalVaultProvider);
            return { vault: ports, rotator: ports, kind: 'local' };
          },
        }),
      ],
    });
    apps.push(second);
    await second.start();
    await vi.waitFor(
      async () => {
        await second.context.outbox.drain();
        const now = second.console!.get(card.id);
        expect(JSON.stringify(now?.card)).toContain('Rotated');
      },
      { timeout: 10_000, interval: 20 },
    );
    expect(ports!.regenerated).toEqual(['key2']);
    expect(ports!.writes).toBe(1);
    const doc = await secretDoc(second);
    expect(doc.versions.map((v) => v.tags.CredentialId)).toEqual(['key1', 'key2']);
    const keysAfter = await new LocalVaultProvider(second.context.store, clock).listKeys(DEMO_ACCOUNT_ID);
    expect(keysAfter.find((k) => k.keyName === 'key1')?.value).toBe(
      keysBefore.find((k) => k.keyName === 'key1')?.value,
    );
    expect(doc.versions[1]!.value).toBe(keysAfter.find((k) => k.keyName === 'key2')?.value);
  });

  it('uses Key Vault and ARM (not the local vault) when kv-warden is not in embedded mode', async () => {
    const lines: string[] = [];
    const cfg = loadConfig({
      text: [
        `store: { duckdb: ${JSON.stringify(path.join(dir, 'kv.duckdb'))} }`,
        'server: { port: 0 }',
        'teams: { allowUnauthenticatedLocalDev: true }',
      ].join('\n'),
      env: {},
    });
    expect(cfg.embedded).toBe(false);
    const app = await createApp(cfg, {
      logger: capturingLogger(lines),
      cwd: dir,
      features: [
        createRotationFeature({
          credential: { getToken: async () => ({ token: 't', expiresOnTimestamp: 0 }) },
        }),
      ],
    });
    apps.push(app);
    expect(lines.some((l) => l.includes('"provider":"azure"') && l.includes('rotation is on'))).toBe(true);
    expect(await app.context.store.list(LOCAL_VAULT)).toEqual([]);
  });
});
