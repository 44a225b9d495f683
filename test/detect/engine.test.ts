import { describe, expect, it } from 'vitest';
import type { AuditEvent } from '../../src/audit/audit-event.js';
import type { Detection } from '../../src/detect/detection.js';
import { DetectionEngine } from '../../src/detect/engine.js';
import { auditEvent, BOB, DAY, HOUR, MINUTE, PAYMENTS_API, T0, vaultEvent } from '../fixtures/events.js';
import { detect, jitter, options } from './helpers.js';

const YAML = `detection:\n  baselineDays: 2\nvaults:\n  kv-prod-payments:\n    expectedApps: ["${PAYMENTS_API.appId}"]\n`;

/** A mixed two-and-a-half-day stream with every kind of firing and plenty of benign traffic. */
function scenario(): AuditEvent[] {
  const events: AuditEvent[] = [];
  for (let i = 0; i < 3 * 24 * 6; i++)
    events.push(auditEvent({ as: PAYMENTS_API, at: T0 + i * 10 * MINUTE + 1234, secret: `app-${i % 4}` }));
  for (let h = 0; h < 72; h += 6)
    events.push(vaultEvent('VaultGet', h < 50 ? 'Deny' : 'Allow', { at: T0 + h * HOUR }));
  const attack = T0 + 2 * DAY + 3 * HOUR;
  events.push(vaultEvent('VaultPatch', 'Allow', { at: attack }));
  events.push(vaultEvent('VaultPatch', 'Allow', { at: attack + 1000, addedIpRule: '203.0.113.66/32' }));
  events.push(auditEvent({ operation: 'SecretList', at: attack + 2000, object: undefined }));
  for (let i = 0; i < 12; i++) events.push(auditEvent({ at: attack + 3000 + i * 5000, secret: `s-${i}` }));
  for (let i = 0; i < 15; i++)
    events.push(auditEvent({ status: 403, operation: 'SecretPurge', at: attack + 70_000 + i * 2000 }));
  events.push(
    auditEvent({
      operation: 'SecretPurge',
      status: 204,
      at: attack + 200_000,
      object: { type: 'secret', deleted: true, name: 'stripe-api-key' },
    }),
  );
  for (let i = 0; i < 30; i++) events.push(auditEvent({ at: attack + 300_000 + i * 1000, secret: `s-${i}` }));
  return events.sort((a, b) => a.timeMs - b.timeMs);
}

const brief = (ds: Detection[]) =>
  ds.map((d) => `${d.time} ${d.rule} ${d.principal} ${d.eventKeys.join(',')}`);

describe('DetectionEngine event time', () => {
  it('the scenario fires every rule it contains', () => {
    const rules = new Set(detect(scenario(), YAML).map((d) => d.rule));
    expect([...rules].sort()).toEqual([
      'bulk-enumeration',
      'destructive-operation',
      'failed-request-burst',
      'firewall-ip-added',
      'firewall-opened',
      'mass-secret-retrieval',
      'new-principal',
      'unexpected-app',
    ]);
  });

  it('input out of order within the lateness gives the same detections as sorted input', () => {
    const events = scenario();
    const sorted = brief(detect(events, YAML));
    const shuffled = jitter(events, 14 * MINUTE);
    expect(shuffled.map((e) => e.key)).not.toEqual(events.map((e) => e.key));
    expect(brief(detect(shuffled, YAML))).toEqual(sorted);
  });

  it('reversed input within the lateness gives the same detections', () => {
    const attack = T0 + 2 * DAY + 3 * HOUR;
    const events = scenario().filter((e) => e.timeMs >= attack && e.timeMs < attack + 14 * MINUTE);
    const sorted = brief(detect(events, YAML));
    expect(sorted.length).toBeGreaterThan(0);
    expect(brief(detect([...events].reverse(), YAML))).toEqual(sorted);
  });

  it('holds events until the watermark passes them, then releases them', () => {
    const engine = new DetectionEngine(options());
    const purge = auditEvent({ operation: 'SecretPurge', status: 204 });
    expect(engine.push(purge)).toEqual([]);
    expect(engine.buffered).toBe(1);
    expect(engine.advanceTo(T0 + 14 * MINUTE)).toEqual([]);
    expect(engine.advanceTo(T0 + 15 * MINUTE).map((d) => d.rule)).toEqual(['destructive-operation']);
    expect(engine.buffered).toBe(0);
  });

  it('processes an event older than the watermark instead of dropping it', () => {
    const engine = new DetectionEngine(options());
    engine.push(auditEvent({ at: T0 + 2 * HOUR }));
    const late = engine.push(auditEvent({ operation: 'SecretPurge', status: 204, at: T0 }));
    expect(late.map((d) => d.rule)).toEqual(['destructive-operation']);
  });

  it('the same event twice (two shapes, one key) is evaluated once', () => {
    const purge = auditEvent({ operation: 'SecretPurge', status: 204 });
    expect(detect([purge, { ...purge }, purge])).toHaveLength(1);
  });

  it('a configured lateness is honoured', () => {
    const engine = new DetectionEngine(options('detection:\n  lateness: 1m\n'));
    engine.push(auditEvent({ operation: 'SecretPurge', status: 204 }));
    expect(engine.advanceTo(T0 + MINUTE)).toHaveLength(1);
  });
});

describe('DetectionEngine state', () => {
  it('export mid-stream, restore, continue: same detections as an uninterrupted run', () => {
    const events = jitter(scenario(), 10 * MINUTE);
    const whole = brief(detect(events, YAML));
    for (const cut of [50, 300, events.length - 40]) {
      const first = new DetectionEngine(options(YAML));
      const out: Detection[] = [];
      for (const e of events.slice(0, cut)) out.push(...first.push(e));
      const saved = JSON.stringify(first.exportState());
      const second = DetectionEngine.fromState(options(YAML), JSON.parse(saved));
      for (const e of events.slice(cut)) out.push(...second.push(e));
      out.push(...second.flush());
      expect(brief(out)).toEqual(whole);
    }
  });

  it('state stays compact: old windows and buffered events are pruned', () => {
    const engine = new DetectionEngine(options());
    for (let i = 0; i < 5000; i++)
      engine.push(
        auditEvent({
          at: T0 + i * 30_000,
          status: i % 2 ? 403 : 200,
          as: { ...BOB, oid: `p-${i % 50}` },
          secret: `s-${i}`,
        }),
      );
    const size = JSON.stringify(engine.exportState()).length;
    // 5000 events of ~600 bytes each would be ~3 MB; only the last 15 min of events plus counters remain.
    expect(size).toBeLessThan(150_000);
    expect(engine.buffered).toBeLessThanOrEqual(31);
  });

  it('refuses a checkpoint of another shape', () => {
    expect(() => DetectionEngine.fromState(options(), { v: 99 })).toThrow(/checkpoint/);
  });
});
