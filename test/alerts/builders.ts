import type { Alert } from '../../src/alerts/alert.js';
import type { Detection } from '../../src/detect/detection.js';

/** An open alert with realistic fields; override what the test is about. */
export function buildAlert(overrides: Partial<Alert> = {}): Alert {
  return {
    id: 'A-0123456789',
    fingerprint: 'destructive-operation|kv-prod-payments|e5555555-0000-4000-8000-000000000005',
    rule: 'destructive-operation',
    severity: 'high',
    vault: 'kv-prod-payments',
    principal: 'e5555555-0000-4000-8000-000000000005',
    principalUpn: 'bob@contoso.com',
    ip: '203.0.113.7',
    summary: 'bob@contoso.com purged secret stripe-api-key',
    firstSeen: '2025-06-02T13:05:11.000Z',
    firstSeenMs: Date.parse('2025-06-02T13:05:11.000Z'),
    lastSeen: '2025-06-02T13:07:40.000Z',
    lastSeenMs: Date.parse('2025-06-02T13:07:40.000Z'),
    count: 2,
    eventKeys: ['ek-1', 'ek-2'],
    eventKeyTotal: 2,
    detectionIds: ['d-1', 'd-2'],
    evidence: { operation: 'SecretPurge', object: 'stripe-api-key', status: 200 },
    state: 'open',
    escalated: false,
    openedAtMs: Date.parse('2025-06-02T13:06:00.000Z'),
    history: [{ action: 'open', person: 'system', displayName: 'kv-warden', at: '2025-06-02T13:06:00.000Z' }],
    version: 1,
    ...overrides,
  };
}

/** A detection as the engine emits it; override what the test is about. */
export function buildDetection(overrides: Partial<Detection> = {}): Detection {
  const time = overrides.time ?? '2025-06-02T13:05:11.000Z';
  return {
    rule: 'destructive-operation',
    severity: 'high',
    vault: 'kv-prod-payments',
    principal: 'e5555555-0000-4000-8000-000000000005',
    principalUpn: 'bob@contoso.com',
    ip: '203.0.113.7',
    time,
    timeMs: Date.parse(time),
    summary: 'bob@contoso.com purged secret stripe-api-key',
    eventKeys: [`ek-${time}`],
    evidence: { operation: 'SecretPurge', object: 'stripe-api-key', status: 200 },
    ...overrides,
  };
}
