import { describe, expect, it } from 'vitest';
import { EVENT_KEYS_CAP } from '../../src/alerts/alert.js';
import { AlertService } from '../../src/alerts/alert-service.js';
import { Outbox } from '../../src/alerts/outbox.js';
import { MemoryStore } from '../../src/store/memory-store.js';
import { buildDetection } from './builders.js';
import { ALICE, deliverAll, harness } from './harness.js';

const at = (iso: string) => buildDetection({ time: iso, timeMs: Date.parse(iso), eventKeys: [`ek-${iso}`] });

describe('recording detections as alerts', () => {
  it('creates an open alert and posts one card per routed surface', async () => {
    const h = harness({ yaml: 'chat:\n  default: { slack: C0SEC }' });
    const [r] = await h.service.record([at('2025-06-02T13:05:00Z')]);
    expect(r?.change).toBe('created');
    expect(r?.alert).toMatchObject({
      state: 'open',
      count: 1,
      rule: 'destructive-operation',
      vault: 'kv-prod-payments',
    });
    await deliverAll(h.outbox, h.clock);
    expect(h.slack.messages.size).toBe(1);
    expect(h.console.messages.size).toBe(1);
    expect([...h.console.messages.values()][0]?.channel).toBe('security');
    expect(await h.store.listAudit(r?.alert.id ?? '')).toMatchObject([{ action: 'open', actor: 'system' }]);
  });

  it('groups a repeat within the window into the same alert and edits its card instead of posting again', async () => {
    const h = harness();
    await h.service.record([at('2025-06-02T13:05:00Z')]);
    await deliverAll(h.outbox, h.clock);
    const [r] = await h.service.record([at('2025-06-02T13:40:00Z')]);
    expect(r?.change).toBe('grouped');
    expect(r?.alert).toMatchObject({
      count: 2,
      firstSeen: '2025-06-02T13:05:00Z',
      lastSeen: '2025-06-02T13:40:00Z',
    });
    await deliverAll(h.outbox, h.clock);
    expect(h.console.messages.size).toBe(1);
    const texts = [...h.console.messages.values()][0]?.texts ?? [];
    expect(texts).toHaveLength(2);
    expect(texts[1]).toContain('×2');
  });

  it('starts a new alert when the repeat falls outside the grouping window', async () => {
    const h = harness();
    const [first] = await h.service.record([at('2025-06-02T13:05:00Z')]);
    const [second] = await h.service.record([at('2025-06-02T14:05:00Z')]); // exactly 1 h later: outside
    expect(second?.change).toBe('created');
    expect(second?.alert.id).not.toBe(first?.alert.id);
    expect(await h.store.get('fingerprints', first?.alert.fingerprint ?? '')).toMatchObject({
      value: { alertId: second?.alert.id },
    });
    await deliverAll(h.outbox, h.clock);
    expect(h.console.messages.size).toBe(2);
  });

  it('does not count the same detection twice', async () => {
    const h = harness();
    const d = at('2025-06-02T13:05:00Z');
    await h.service.record([d]);
    const [again] = await h.service.record([d]);
    expect(again?.change).toBe('duplicate');
    expect(again?.alert.count).toBe(1);
    await deliverAll(h.outbox, h.clock);
    expect(h.console.messages.size).toBe(1);
  });

  it('reopens a closed alert when the same fingerprint fires again, noting it in history and the audit trail', async () => {
    const h = harness();
    const [r] = await h.service.record([at('2025-06-02T13:05:00Z')]);
    const id = r?.alert.id ?? '';
    await h.service.act(ALICE, {
      verb: 'alert.close',
      data: { alertId: id },
      inputs: { classification: 'benign-positive', reason: 'cleanup' },
    });
    const [again] = await h.service.record([at('2025-06-02T13:30:00Z')]);
    expect(again?.change).toBe('reopened');
    expect(again?.alert).toMatchObject({ state: 'open', count: 2 });
    expect(again?.alert.classification).toBeUndefined();
    expect(again?.alert.history.at(-1)).toMatchObject({ action: 'reopen', person: 'system' });
    expect((await h.store.listAudit(id)).map((e) => e.action)).toEqual(['open', 'close', 'reopen']);
  });

  it('keeps the last event keys and the total count', async () => {
    const h = harness();
    const keys = Array.from({ length: 70 }, (_, i) => `k${i}`);
    const [r] = await h.service.record([buildDetection({ eventKeys: keys })]);
    expect(r?.alert.eventKeys).toHaveLength(EVENT_KEYS_CAP);
    expect(r?.alert.eventKeys.at(-1)).toBe('k69');
    expect(r?.alert.eventKeyTotal).toBe(70);
  });

  it('raises the severity to the highest grouped detection and posts where the new severity is routed', async () => {
    const h = harness({ yaml: 'chat:\n  default: { slack: C0SEC, minSeverity: high }' });
    await h.service.record([buildDetection({ severity: 'medium' })]);
    await deliverAll(h.outbox, h.clock);
    expect(h.slack.messages.size).toBe(0);
    const [r] = await h.service.record([
      buildDetection({
        severity: 'critical',
        time: '2025-06-02T13:06:00Z',
        timeMs: Date.parse('2025-06-02T13:06:00Z'),
        eventKeys: ['x'],
      }),
    ]);
    expect(r?.alert.severity).toBe('critical');
    await deliverAll(h.outbox, h.clock);
    expect(h.slack.messages.size).toBe(1);
  });

  it('two replicas recording the same fingerprint at once create one alert', async () => {
    const a = harness();
    const store = a.store;
    const outboxB = new Outbox({ store, clock: a.clock, surfaces: [a.console] });
    const b = new AlertService({
      store,
      clock: a.clock,
      config: a.config,
      directory: a.directory,
      outbox: outboxB,
    });
    const d1 = at('2025-06-02T13:05:00Z');
    const d2 = at('2025-06-02T13:06:00Z');
    await Promise.all([a.service.record([d1]), b.record([d1]), a.service.record([d2]), b.record([d2])]);
    const alerts = await store.list<{ count: number }>('alerts');
    expect(alerts).toHaveLength(1);
    expect(alerts[0]?.value.count).toBe(2);
    await deliverAll(a.outbox, a.clock);
    expect(a.console.messages.size).toBe(1);
  });

  it('recovers a fingerprint claimed by a replica that crashed before creating the alert', async () => {
    const store = new MemoryStore();
    const h = harness({ store });
    await store.create(
      'fingerprints',
      'destructive-operation|kv-prod-payments|e5555555-0000-4000-8000-000000000005',
      {
        alertId: 'A-00000000AA',
      },
    );
    const [r] = await h.service.record([at('2025-06-02T13:05:00Z')]);
    expect(r).toMatchObject({ change: 'created', alert: { id: 'A-00000000AA', count: 1 } });
  });
});
