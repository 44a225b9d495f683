import { describe, expect, it } from 'vitest';
import type { Alert } from '../../src/alerts/alert.js';
import { FINGERPRINTS } from '../../src/alerts/alert.js';
import { ALERTS, AlertService } from '../../src/alerts/alert-service.js';
import { Outbox } from '../../src/alerts/outbox.js';
import { POLICY_NOTICES } from '../../src/alerts/policy-notices.js';
import { DefaultIntakePipeline } from '../../src/app/intake-pipeline.js';
import { parseAuditBody } from '../../src/audit/parse-body.js';
import { Directory } from '../../src/config/directory.js';
import { loadConfig } from '../../src/config/load.js';
import { DetectionEngine } from '../../src/detect/engine.js';
import { MemoryStore } from '../../src/store/memory-store.js';
import type { AuditTrailEntry, Store, Versioned } from '../../src/store/store.js';
import { FakeClock } from '../../src/util/clock.js';
import { silentLogger } from '../../src/util/logger.js';
import { buildNotice, buildRecord, toCloudEvent, toEventGrid } from '../fixtures/records.js';
import { FakeChatSurface } from './fake-chat-surface.js';

/** The access-policy grant in the fixtures is a VaultPatch at 11:02:10 on kv-prod-payments. */
const PATCH_AT = Date.parse('2025-06-02T11:02:10Z');
const policyChanged = (id: string, atMs: number, vault = 'kv-prod-payments') =>
  toEventGrid(
    buildNotice({
      id,
      type: 'VaultAccessPolicyChanged',
      objectType: 'Vault',
      objectName: vault,
      vault,
      time: new Date(atMs).toISOString(),
    }),
  );

/**
 * One replica's view of a shared store: passes everything through, but the first `list` of `collection`
 * waits at `gate` (after telling `reached`), to interleave two replicas at a chosen point.
 */
class PausingStore implements Store {
  private pause: { collection: string; gate: Promise<void>; reached: () => void } | undefined;
  constructor(private readonly inner: Store) {}
  pauseAtList(collection: string): { reached: Promise<void>; release: () => void } {
    let release = () => {};
    let reached = () => {};
    const gate = new Promise<void>((r) => {
      release = r;
    });
    const hit = new Promise<void>((r) => {
      reached = r;
    });
    this.pause = { collection, gate, reached };
    return { reached: hit, release };
  }
  async list<T>(c: string, o?: { prefix?: string; limit?: number }) {
    const p = this.pause;
    if (p && p.collection === c) {
      this.pause = undefined;
      p.reached();
      await p.gate;
    }
    return this.inner.list<T>(c, o);
  }
  get<T>(c: string, id: string): Promise<Versioned<T> | undefined> {
    return this.inner.get<T>(c, id);
  }
  create<T>(c: string, id: string, v: T): Promise<Versioned<T> | undefined> {
    return this.inner.create(c, id, v);
  }
  update<T>(c: string, id: string, v: T, version: string): Promise<Versioned<T>> {
    return this.inner.update(c, id, v, version);
  }
  delete(c: string, id: string, version?: string): Promise<void> {
    return this.inner.delete(c, id, version);
  }
  appendAudit(e: AuditTrailEntry): Promise<void> {
    return this.inner.appendAudit(e);
  }
  listAudit(s: string): Promise<AuditTrailEntry[]> {
    return this.inner.listAudit(s);
  }
  markSeen(k: ReadonlyArray<{ key: string; timeMs: number }>): Promise<Set<string>> {
    return this.inner.markSeen(k);
  }
  filterUnseen(k: ReadonlyArray<{ key: string; timeMs: number }>): Promise<Set<string>> {
    return this.inner.filterUnseen(k);
  }
  pruneSeen(b: number): Promise<number> {
    return this.inner.pruneSeen(b);
  }
  async close(): Promise<void> {}
}

function stack(store: Store = new MemoryStore()) {
  const config = loadConfig({ text: 'detection: { lateness: 1m }', env: {} });
  const clock = new FakeClock(PATCH_AT + 20 * 60_000);
  const surface = new FakeChatSurface('console', clock);
  const outbox = new Outbox({ store, clock, surfaces: [surface] });
  const alerts = new AlertService({ store, clock, config, directory: new Directory(config), outbox });
  const pipeline = new DefaultIntakePipeline({
    store,
    detector: new DetectionEngine({ detection: config.detection, vaults: config.vaults }),
    alerts,
    policyNotices: alerts,
    clock,
    logger: silentLogger,
    idleMs: 0,
  });
  /** Delivers one message body (as the Service Bus listener would) and lets the watermark follow the clock. */
  const deliver = async (body: unknown, entity = 'kv-audit') => {
    const { items, malformed } = parseAuditBody(body, entity);
    expect(malformed).toEqual([]);
    const result = await pipeline.ingest(items, { source: `servicebus:${entity}` });
    await pipeline.advanceToClock();
    await outbox.drain();
    return result;
  };
  const auditRecord = () => ({ records: [buildRecord({ preset: 'accessPolicyAdded', at: PATCH_AT })] });
  const alertList = async () => (await store.list<Alert>(ALERTS)).map((a) => a.value);
  /** Every card message posted, with each state it was drawn in. */
  const cards = () => [...surface.messages.values()];
  return { store, clock, alerts, deliver, auditRecord, alertList, cards };
}

describe('VaultAccessPolicyChanged notices corroborate the access-policy alert of the same change', () => {
  it.each([
    ['audit record first', ['audit', 'notice']],
    ['notice first', ['notice', 'audit']],
  ])('%s → one alert, one card, the notice shown on it', async (_name, order) => {
    const s = stack();
    for (const what of order) {
      if (what === 'audit') await s.deliver(s.auditRecord());
      else
        expect(await s.deliver(policyChanged('eg-1', PATCH_AT + 1_200), 'kv-eventgrid')).toMatchObject({
          alerts: 0,
        });
    }
    const alerts = await s.alertList();
    expect(alerts).toHaveLength(1);
    const [alert] = alerts;
    expect(alert).toMatchObject({ rule: 'access-policy-added', count: 1 });
    expect(alert?.corroborations).toEqual([
      {
        id: 'eg-1',
        type: 'VaultAccessPolicyChanged',
        time: '2025-06-02T11:02:11.200Z',
        timeMs: PATCH_AT + 1_200,
      },
    ]);
    const cards = s.cards();
    expect(cards).toHaveLength(1);
    const latest = JSON.stringify(cards[0]?.cards.at(-1)?.card);
    expect(latest).toContain('Confirmed by Event Grid');
    expect(latest).toContain('VaultAccessPolicyChanged at 2025-06-02 11:02:11 UTC');
    const trail = await s.store.listAudit(alert?.id ?? '');
    expect(trail.filter((e) => e.action === 'corroborate').map((e) => e.detail)).toEqual([
      'confirmed by Event Grid VaultAccessPolicyChanged at 2025-06-02 11:02:11 UTC (event eg-1)',
    ]);
  });

  it('a notice alone raises nothing and posts nothing; it waits for the alert', async () => {
    const s = stack();
    expect(await s.deliver(policyChanged('eg-1', PATCH_AT), 'kv-eventgrid')).toMatchObject({
      accepted: 0,
      alerts: 0,
    });
    expect(await s.alertList()).toEqual([]);
    expect(s.cards()).toEqual([]);
    expect((await s.store.list(POLICY_NOTICES)).map((n) => n.id)).toEqual(['kv-prod-payments|eg-1']);
  });

  it('a redelivered notice (and a redelivered audit record) changes nothing', async () => {
    const s = stack();
    await s.deliver(s.auditRecord());
    await s.deliver(policyChanged('eg-1', PATCH_AT + 1_200), 'kv-eventgrid');
    const before = (await s.alertList())[0];
    await s.deliver(policyChanged('eg-1', PATCH_AT + 1_200), 'kv-eventgrid');
    await s.deliver(s.auditRecord());
    const after = await s.alertList();
    expect(after).toEqual([before]);
    expect(s.cards()).toHaveLength(1);
    expect(s.cards()[0]?.cards).toHaveLength(2); // posted, then updated once with the corroboration
  });

  it('links the CloudEvents form too, and two notices of the same change on one alert', async () => {
    const s = stack();
    await s.deliver(s.auditRecord());
    await s.deliver(policyChanged('eg-1', PATCH_AT + 1_200), 'kv-eventgrid');
    await s.deliver(
      toCloudEvent(
        buildNotice({
          id: 'ce-2',
          type: 'VaultAccessPolicyChanged',
          objectType: 'Vault',
          time: new Date(PATCH_AT + 2_000).toISOString(),
        }),
      ),
      'kv-eventgrid',
    );
    const [alert] = await s.alertList();
    expect(alert?.corroborations?.map((c) => c.id)).toEqual(['eg-1', 'ce-2']);
    expect(JSON.stringify(s.cards()[0]?.cards.at(-1)?.card)).toContain(
      'VaultAccessPolicyChanged at 2025-06-02 11:02:11 UTC; VaultAccessPolicyChanged at 2025-06-02 11:02:12 UTC',
    );
  });

  it.each([
    ['more than 15 minutes before', policyChanged('eg-early', PATCH_AT - 16 * 60_000)],
    ['more than 15 minutes after', policyChanged('eg-late', PATCH_AT + 16 * 60_000)],
    ['on another vault', policyChanged('eg-other', PATCH_AT, 'kv-dev')],
  ])('does not link a notice %s', async (_name, notice) => {
    for (const order of [0, 1]) {
      const s = stack();
      if (order === 0) {
        await s.deliver(s.auditRecord());
        await s.deliver(notice, 'kv-eventgrid');
      } else {
        await s.deliver(notice, 'kv-eventgrid');
        await s.deliver(s.auditRecord());
      }
      const alerts = await s.alertList();
      expect(alerts).toHaveLength(1);
      expect(alerts[0]?.corroborations).toBeUndefined();
      expect(s.cards()).toHaveLength(1);
      expect(s.cards()[0]?.cards).toHaveLength(1);
    }
  });

  it('links a notice to a grant-then-revoke alert of the same vault too', async () => {
    const s = stack();
    const removedAt = Date.parse('2025-06-02T11:07:12Z');
    await s.deliver(policyChanged('eg-revoke', removedAt + 800), 'kv-eventgrid');
    await s.deliver({
      records: [
        buildRecord({ preset: 'accessPolicyAdded', at: PATCH_AT }),
        buildRecord({ preset: 'accessPolicyRemoved', at: removedAt }),
      ],
    });
    const alerts = await s.alertList();
    expect(alerts.map((a) => a.rule).sort()).toEqual(['access-granted-then-revoked', 'access-policy-added']);
    // One change notice, within 15 minutes of both alerts' records: both show it; neither is counted again.
    for (const a of alerts) {
      expect(a.corroborations?.map((c) => c.id)).toEqual(['eg-revoke']);
      expect(a.count).toBe(1);
    }
    expect(s.cards()).toHaveLength(2);
  });

  it('forgets stored notices older than the retention', async () => {
    const s = stack();
    await s.deliver(policyChanged('eg-old', PATCH_AT - 3 * 86_400_000), 'kv-eventgrid');
    await s.deliver(policyChanged('eg-new', PATCH_AT), 'kv-eventgrid');
    expect(await s.alerts.prunePolicyNotices(PATCH_AT - 2 * 86_400_000)).toBe(1);
    expect((await s.store.list(POLICY_NOTICES)).map((n) => n.id)).toEqual(['kv-prod-payments|eg-new']);
  });

  it.each([
    ['the alert replica pauses before looking for notices', 'audit', POLICY_NOTICES],
    ['the notice replica pauses before looking for alerts', 'notice', FINGERPRINTS],
  ])(
    'two replicas handling the record and the notice at once link them once (%s)',
    async (_name, paused, collection) => {
      const shared = new MemoryStore();
      const auditSide = new PausingStore(shared);
      const noticeSide = new PausingStore(shared);
      const a = stack(auditSide);
      const n = stack(noticeSide);
      const { reached, release } = (paused === 'audit' ? auditSide : noticeSide).pauseAtList(collection);
      const first =
        paused === 'audit'
          ? a.deliver(a.auditRecord())
          : n.deliver(policyChanged('eg-1', PATCH_AT + 1_200), 'kv-eventgrid');
      await reached;
      // The other replica runs to the end while the first one waits between its write and its read.
      if (paused === 'audit') await n.deliver(policyChanged('eg-1', PATCH_AT + 1_200), 'kv-eventgrid');
      else await a.deliver(a.auditRecord());
      release();
      await first;
      await a.deliver({ records: [] });
      const alerts = await a.alertList();
      expect(alerts).toHaveLength(1);
      expect(alerts[0]?.corroborations?.map((c) => c.id)).toEqual(['eg-1']);
      const trail = await shared.listAudit(alerts[0]?.id ?? '');
      expect(trail.filter((e) => e.action === 'corroborate')).toHaveLength(1);
    },
  );
});
