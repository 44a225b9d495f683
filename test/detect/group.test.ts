import { describe, expect, it } from 'vitest';
import type { Detection } from '../../src/detect/detection.js';
import { belongsToGroup, groupDetections, toAlertJson } from '../../src/detect/group.js';

const HOUR = 3_600_000;
const T0 = Date.parse('2025-06-02T13:05:11.000Z');
const det = (at: number, over: Partial<Detection> = {}): Detection => ({
  rule: 'destructive-operation',
  severity: 'high',
  vault: 'kv-prod-payments',
  principal: 'e5555555-5555-4555-8555-555555555555',
  principalUpn: 'bob@contoso.com',
  time: new Date(at).toISOString(),
  timeMs: at,
  summary: `bob@contoso.com purged secret s-${at}`,
  eventKeys: [`k-${at}`],
  evidence: {},
  ...over,
});

describe('grouping', () => {
  it('belongsToGroup: strictly inside the window from the first detection', () => {
    expect(belongsToGroup({ firstSeenMs: T0 }, { timeMs: T0 + HOUR - 1 }, HOUR)).toBe(true);
    expect(belongsToGroup({ firstSeenMs: T0 }, { timeMs: T0 + HOUR }, HOUR)).toBe(false);
  });

  it('same fingerprint within the window is one alert with count, first/last seen and all events', () => {
    const groups = groupDetections([det(T0 + 30 * 60_000), det(T0), det(T0 + 59 * 60_000)], HOUR);
    expect(groups).toHaveLength(1);
    expect(toAlertJson(groups[0]!)).toMatchObject({
      rule: 'destructive-operation',
      firstSeen: '2025-06-02T13:05:11.000Z',
      lastSeen: '2025-06-02T14:04:11.000Z',
      count: 3,
      summary: `bob@contoso.com purged secret s-${T0}`,
      events: [`k-${T0}`, `k-${T0 + 30 * 60_000}`, `k-${T0 + 59 * 60_000}`],
    });
    expect(Object.keys(toAlertJson(groups[0]!)).slice(0, 9)).toEqual([
      'rule',
      'vault',
      'principal',
      'severity',
      'firstSeen',
      'lastSeen',
      'count',
      'summary',
      'events',
    ]);
  });

  it('outside the window, or another principal or rule, is another alert', () => {
    const groups = groupDetections(
      [det(T0), det(T0 + HOUR), det(T0, { principal: 'other' }), det(T0, { rule: 'unexpected-app' })],
      HOUR,
    );
    expect(groups.map((g) => `${g.rule}/${g.principal}/${g.count}`)).toEqual([
      'destructive-operation/e5555555-5555-4555-8555-555555555555/1',
      'destructive-operation/other/1',
      'unexpected-app/e5555555-5555-4555-8555-555555555555/1',
      'destructive-operation/e5555555-5555-4555-8555-555555555555/1',
    ]);
  });

  it('takes the highest severity and does not repeat event keys', () => {
    const [g] = groupDetections(
      [det(T0, { severity: 'medium' }), det(T0 + 1, { severity: 'critical', eventKeys: [`k-${T0}`] })],
      HOUR,
    );
    expect(g?.severity).toBe('critical');
    expect(g?.events).toEqual([`k-${T0}`]);
  });
});
