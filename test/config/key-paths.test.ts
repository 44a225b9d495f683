import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.js';
import { ConfigError } from '../../src/errors.js';

function keyPathOf(text: string): string | undefined {
  try {
    loadConfig({ text, env: {} });
  } catch (err) {
    if (err instanceof ConfigError) return err.keyPath;
    throw err;
  }
  return undefined;
}

describe('configuration errors name the key path', () => {
  it.each([
    ['detection:\n  baselineDays: 0\n', 'detection.baselineDays'],
    ['detection:\n  baselineDays: "thirty"\n', 'detection.baselineDays'],
    ['detection:\n  lateness: 15 minutes\n', 'detection.lateness'],
    ['detection:\n  groupingWindow: 0s\n', 'detection.groupingWindow'],
    ['detection:\n  grantRevokeWindow: -5m\n', 'detection.grantRevokeWindow'],
    ['detection:\n  failedBurst: { threshold: 0 }\n', 'detection.failedBurst.threshold'],
    ['detection:\n  failedBurst: { treshold: 5 }\n', 'detection.failedBurst.treshold'],
    ['detection:\n  bulkEnumeration: { distinctObjects: 1 }\n', 'detection.bulkEnumeration.distinctObjects'],
    ['detection:\n  massRetrieval: { baselineFactor: -1 }\n', 'detection.massRetrieval.baselineFactor'],
    ['detection:\n  massRetrieval: { window: soon }\n', 'detection.massRetrieval.window'],
    ['detection:\n  knownNetworks: ["10.0.0.0/8", "not-a-cidr"]\n', 'detection.knownNetworks.1'],
    [
      'detection:\n  rules: { destructive-operation: { severity: urgent } }\n',
      'detection.rules.destructive-operation.severity',
    ],
    [
      'detection:\n  rules: { destructive-operation: { enabled: "no" } }\n',
      'detection.rules.destructive-operation.enabled',
    ],
    [
      'detection:\n  rules: { destructive-operation: { mute: true } }\n',
      'detection.rules.destructive-operation.mute',
    ],
    ['vaults:\n  kv-prod:\n    expectedApps: ["not-a-guid"]\n', 'vaults.kv-prod.expectedApps.0'],
    ['vaults:\n  kv-prod:\n    expectedaps: []\n', 'vaults.kv-prod.expectedaps'],
    ['vaults:\n  kv-prod:\n    channel: { minSeverity: loud }\n', 'vaults.kv-prod.channel.minSeverity'],
    ['people:\n  alice: { slack: alice }\n', 'people.alice.slack'],
    ['rotation:\n  approvalsRequired: 9\n', 'rotation.approvalsRequired'],
    ['server:\n  port: 70000\n', 'server.port'],
    ['queries:\n  tables: Syslog\n', 'queries.tables'],
    ['sources:\n  eventKeyRetention: forever\n', 'sources.eventKeyRetention'],
    // Shorter than twice the lateness: late records delivered again would be counted twice.
    ['detection: { lateness: 1h }\nsources:\n  eventKeyRetention: 90m\n', 'sources.eventKeyRetention'],
  ])('%j → %s', (text, keyPath) => {
    expect(keyPathOf(text)).toBe(keyPath);
  });

  it('accepts the documented defaults written out', () => {
    const text =
      'detection:\n  baselineDays: 30\n  failedBurst: { threshold: 10, window: 5m }\n  grantRevokeWindow: 10m\n' +
      '  bulkEnumeration: { distinctObjects: 10, window: 5m }\n  massRetrieval: { threshold: 25, window: 1d, baselineFactor: 3 }\n' +
      '  lateness: 15m\n  groupingWindow: 1h\n';
    expect(loadConfig({ text, env: {} }).detection).toEqual(loadConfig({ env: {} }).detection);
  });
});
