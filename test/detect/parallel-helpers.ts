/** Shared by the parallel-detect tests: realistic records, reading a file both ways, comparing events. */
import { isDeepStrictEqual } from 'node:util';
import { expect } from 'vitest';
import type { MalformedRecord } from '../../src/audit/audit-event.js';
import type { ParseWorkers } from '../../src/detect/parallel/parse-workers.js';
import { readEventBatches } from '../../src/detect/parallel/read-events.js';
import type { RuleEvent } from '../../src/detect/rule-event.js';
import { buildRecord, type PresetName, type RawRecord } from '../fixtures/records.js';

export const T0 = Date.UTC(2025, 5, 2, 9);
export const MiB = 1024 * 1024;
export const VAULTS = ['kv-prod-payments', 'kv-prod-orders', 'kv-dev-sandbox'];
const PRESETS: PresetName[] = [
  'secretGet',
  'secretGet403',
  'auth401',
  'secretList',
  'keyBackup',
  'throttled429',
  'vaultGetDeny',
  'secretPurge',
];

/** Everything a rule can read of an event, as plain data. */
export function ruleFields(e: RuleEvent) {
  return {
    key: e.key,
    timeMs: e.timeMs,
    vault: e.vault,
    operation: e.operation,
    status: e.status,
    success: e.success,
    principal: e.principal,
    identity: {
      objectId: e.identity.objectId,
      appId: e.identity.appId,
      upn: e.identity.upn,
      name: e.identity.name,
    },
    ip: e.ip,
    object: e.object && { type: e.object.type, deleted: e.object.deleted, name: e.object.name },
    networkAcls: e.networkAcls,
    addedAccessPolicy: e.addedAccessPolicy,
    removedAccessPolicy: e.removedAccessPolicy,
    addedIpRule: e.addedIpRule,
    removedIpRule: e.removedIpRule,
  };
}

/** Equal lists of events; on a difference, shows the first differing event only. */
export function expectSameEvents(
  actual: readonly RuleEvent[],
  expected: readonly RuleEvent[],
  label: string,
): void {
  const a = actual.map(ruleFields);
  const b = expected.map(ruleFields);
  const first = a.findIndex((x, i) => !isDeepStrictEqual(x, b[i]));
  if (first >= 0) expect(a[first], `${label}: event ${first}`).toStrictEqual(b[first]);
  expect(a.length, `${label}: event count`).toBe(b.length);
}

export interface Read {
  events: RuleEvent[];
  malformed: MalformedRecord[];
}

/** A file's events and malformed reports through readEventBatches (as `PT1H.json`, any size parallel). */
export async function read(
  file: string,
  opts: { workers?: ParseWorkers; rangeBytes?: number; minParallelBytes?: number } = {},
): Promise<Read> {
  const malformed: MalformedRecord[] = [];
  const events: RuleEvent[] = [];
  for await (const batch of readEventBatches(file, {
    source: 'PT1H.json',
    onMalformed: (m) => malformed.push(m),
    minParallelBytes: 0,
    ...opts,
  })) {
    expect(batch.length).toBeGreaterThan(0);
    events.push(...batch);
  }
  return { events, malformed };
}

/** Rejects when `p` has not settled within `ms`: a hang fails with a message instead of a test timeout. */
export function within<T>(ms: number, p: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`still pending after ${ms} ms`)), ms);
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}

export const line = (r: unknown, eol = '\n'): string => `${JSON.stringify(r)}${eol}`;

/** A realistic record: preset `i`, its vault, caller and object varied so strings repeat and differ. */
export function realistic(i: number): RawRecord {
  const preset = PRESETS[i % PRESETS.length]!;
  const at = T0 + i * 1500;
  const vault = VAULTS[i % VAULTS.length]!;
  if (preset === 'secretGet' || preset === 'secretPurge')
    return buildRecord({ preset, at, vault, secret: `secret-${i % 37}`, correlationId: `c-${i}` });
  if (preset === 'secretList')
    return buildRecord({
      preset,
      at,
      vault,
      caller: {
        oid: `e5555555-5555-4555-8555-${String(i % 11).padStart(12, '0')}`,
        upn: `user${i % 11}@contoso.com`,
      },
    });
  return buildRecord({ preset, at, vault });
}

/** Records with control-plane parts: network ACLs (object and null), access-policy and IP-rule changes. */
export function controlPlane(at: number): RawRecord[] {
  return [
    buildRecord({ preset: 'vaultPatchAllow', at }),
    buildRecord({ preset: 'vaultGetNoFirewall', at: at + 1 }),
    buildRecord({ preset: 'ipRuleAdded', at: at + 2, vault: 'kv-prod-orders' }),
    buildRecord({
      preset: 'ipRuleAdded',
      at: at + 3,
      properties: { addedIpRule: undefined, removedIpRule: { Value: '198.51.100.7/32' } },
    }),
    buildRecord({ preset: 'accessPolicyAdded', at: at + 4 }),
    buildRecord({ preset: 'accessPolicyChangedNotification', at: at + 5 }),
    buildRecord({ preset: 'accessPolicyRemoved', at: at + 6 }),
  ];
}
