import { describe, expect, it } from 'vitest';
import type { AuditEvent } from '../../src/audit/audit-event.js';
import {
  auditEvent,
  BACKUP_JOB,
  BOB,
  DAY,
  HOUR,
  MINUTE,
  PAYMENTS_API,
  T0,
  vaultEvent,
} from '../fixtures/events.js';
import { detect, fired } from './helpers.js';

const policy = (objectId: string, secrets: string[] = ['get']) => ({
  objectId,
  permissions: { keys: [], secrets, certificates: [] },
});
const failures = (n: number, overrides: Parameters<typeof auditEvent>[0] = {}, spacing = 10_000) =>
  Array.from({ length: n }, (_, i) => auditEvent({ status: 403, at: T0 + i * spacing, ...overrides }));

describe('firewall-opened', () => {
  it.each<[string, AuditEvent[], number]>([
    [
      'Deny (VaultGet poll) then VaultPatch to Allow fires',
      [vaultEvent('VaultGet', 'Deny'), vaultEvent('VaultPatch', 'Allow', { at: T0 + MINUTE })],
      1,
    ],
    [
      'Deny then VaultPut removing networkAcls (public) fires',
      [vaultEvent('VaultPut', 'Deny'), vaultEvent('VaultPut', null, { at: T0 + MINUTE })],
      1,
    ],
    [
      'Allow then Deny (tightened) is benign',
      [vaultEvent('VaultGet', 'Allow'), vaultEvent('VaultPatch', 'Deny', { at: T0 + MINUTE })],
      0,
    ],
    [
      'Allow then Allow is benign',
      [vaultEvent('VaultGet', 'Allow'), vaultEvent('VaultPatch', 'Allow', { at: T0 + MINUTE })],
      0,
    ],
    [
      'Deny then Deny is benign',
      [vaultEvent('VaultGet', 'Deny'), vaultEvent('VaultPatch', 'Deny', { at: T0 + MINUTE })],
      0,
    ],
    ['unknown prior state is no alert', [vaultEvent('VaultPatch', 'Allow')], 0],
    [
      'a VaultGet showing Allow after Deny is not a change',
      [vaultEvent('VaultGet', 'Deny'), vaultEvent('VaultGet', 'Allow', { at: T0 + MINUTE })],
      0,
    ],
    [
      'a refused (403) VaultPatch to Allow never fires',
      [vaultEvent('VaultGet', 'Deny'), vaultEvent('VaultPatch', 'Allow', { at: T0 + MINUTE, status: 403 })],
      0,
    ],
    [
      'state is per vault',
      [
        vaultEvent('VaultGet', 'Deny', { vault: 'kv-other' }),
        vaultEvent('VaultPatch', 'Allow', { at: T0 + MINUTE }),
      ],
      0,
    ],
  ])('%s', (_name, events, n) => {
    expect(fired(events, 'firewall-opened')).toHaveLength(n);
  });

  it('names the person and the vault, severity high', () => {
    const [d] = fired(
      [vaultEvent('VaultGet', 'Deny'), vaultEvent('VaultPatch', 'Allow', { at: T0 + MINUTE })],
      'firewall-opened',
    );
    expect(d?.severity).toBe('high');
    expect(d?.summary).toBe(
      'bob@contoso.com set the firewall default action to Allow on vault kv-prod-payments',
    );
  });
});

describe('firewall-ip-added', () => {
  const yaml = 'detection:\n  knownNetworks: ["198.51.100.0/24"]\n';
  it.each<[string, string, number]>([
    ['an IP outside known networks fires', '203.0.113.66/32', 1],
    ['an IP inside known networks is benign', '198.51.100.7/32', 0],
    ['a range wider than the known network fires', '198.51.0.0/16', 1],
  ])('%s', (_name, rule, n) => {
    const events = [vaultEvent('VaultPatch', 'Deny', { addedIpRule: rule })];
    expect(fired(events, 'firewall-ip-added', yaml)).toHaveLength(n);
  });

  it('summarises the rule added', () => {
    const [d] = fired(
      [vaultEvent('VaultPatch', 'Deny', { addedIpRule: '203.0.113.66/32' })],
      'firewall-ip-added',
    );
    expect(d?.summary).toBe(
      'bob@contoso.com added IP rule 203.0.113.66/32 to the firewall of vault kv-prod-payments',
    );
  });
});

describe('access-policy-added', () => {
  it('a self-grant is high severity', () => {
    const [d] = fired(
      [vaultEvent('VaultPatch', 'Deny', { addedAccessPolicy: policy(BOB.oid, ['set']) })],
      'access-policy-added',
    );
    expect(d?.severity).toBe('high');
    expect(d?.evidence.selfGrant).toBe(true);
    expect(d?.summary).toMatch(/^bob@contoso\.com granted themselves access to vault kv-prod-payments/);
  });

  it('a narrow grant to someone else is medium', () => {
    const [d] = fired(
      [vaultEvent('VaultPatch', 'Deny', { addedAccessPolicy: policy(PAYMENTS_API.oid, ['set']) })],
      'access-policy-added',
    );
    expect(d?.severity).toBe('medium');
  });

  it('does not count the companion VaultAccessPolicyChangedEventGridNotification again', () => {
    const events = [
      vaultEvent('VaultPatch', 'Deny', { addedAccessPolicy: policy(PAYMENTS_API.oid) }),
      auditEvent({
        operation: 'VaultAccessPolicyChangedEventGridNotification',
        at: T0 + 1000,
        addedAccessPolicy: policy(PAYMENTS_API.oid),
      }),
    ];
    expect(fired(events, 'access-policy-added')).toHaveLength(1);
  });

  it('a configured severity overrides the rule', () => {
    const yaml = 'detection:\n  rules: { access-policy-added: { severity: low } }\n';
    const [d] = fired(
      [vaultEvent('VaultPatch', 'Deny', { addedAccessPolicy: policy(BOB.oid) })],
      'access-policy-added',
      yaml,
    );
    expect(d?.severity).toBe('low');
  });
});

describe('access-granted-then-revoked', () => {
  const grant = (at: number, oid: string = PAYMENTS_API.oid) =>
    vaultEvent('VaultPatch', 'Deny', { at, addedAccessPolicy: policy(oid) });
  const revoke = (at: number, oid: string = PAYMENTS_API.oid) =>
    vaultEvent('VaultPatch', 'Deny', { at, removedAccessPolicy: policy(oid) });
  it.each<[string, AuditEvent[], number]>([
    ['revoked 5 minutes after the grant fires', [grant(T0), revoke(T0 + 5 * MINUTE)], 1],
    ['revoked exactly at the window fires', [grant(T0), revoke(T0 + 10 * MINUTE)], 1],
    ['revoked two hours later is benign', [grant(T0), revoke(T0 + 2 * HOUR)], 0],
    ['a different object id is benign', [grant(T0), revoke(T0 + MINUTE, BACKUP_JOB.oid)], 0],
    ['a revoke before any grant is benign', [revoke(T0), grant(T0 + MINUTE)], 0],
    [
      'a grant on another vault is benign',
      [
        grant(T0),
        vaultEvent('VaultPatch', 'Deny', {
          vault: 'kv-other',
          at: T0 + MINUTE,
          removedAccessPolicy: policy(PAYMENTS_API.oid),
        }),
      ],
      0,
    ],
  ])('%s', (_name, events, n) => {
    expect(fired(events, 'access-granted-then-revoked')).toHaveLength(n);
  });

  it('keeps both event keys', () => {
    const events = [grant(T0), revoke(T0 + MINUTE)];
    const [d] = fired(events, 'access-granted-then-revoked');
    expect(d?.eventKeys).toEqual(events.map((e) => e.key));
  });
});

describe('destructive-operation', () => {
  it('a purge fires with the one-sentence summary', () => {
    const e = auditEvent({
      operation: 'SecretPurge',
      status: 204,
      object: { type: 'secret', deleted: true, name: 'stripe-api-key' },
    });
    const [d] = fired([e], 'destructive-operation');
    expect(d?.summary).toBe('bob@contoso.com purged secret stripe-api-key');
    expect(d).toMatchObject({
      vault: 'kv-prod-payments',
      principal: BOB.oid,
      severity: 'high',
      eventKeys: [e.key],
    });
  });

  it.each<[string, AuditEvent, number]>([
    [
      'a denied purge whose resultType is Success (403) is benign',
      auditEvent({ operation: 'SecretPurge', status: 403, resultType: 'Success' }),
      0,
    ],
    [
      'a key deletion fires',
      auditEvent({ operation: 'KeyDelete', object: { type: 'key', deleted: false, name: 'signing' } }),
      1,
    ],
    ['listing deleted secrets fires', auditEvent({ operation: 'SecretListDeleted', object: undefined }), 1],
    ['a backup by a stranger fires', auditEvent({ operation: 'SecretBackup' }), 1],
    [
      'a backup by an allowlisted backup principal is benign',
      auditEvent({ operation: 'SecretBackup', as: BACKUP_JOB }),
      0,
    ],
    [
      'a delete by a backup principal still fires',
      auditEvent({ operation: 'SecretDelete', as: BACKUP_JOB }),
      1,
    ],
    ['an ordinary read is benign', auditEvent({}), 0],
  ])('%s', (_name, e, n) => {
    const yaml = `detection:\n  backupPrincipals: ["${BACKUP_JOB.oid.toUpperCase()}"]\n`;
    expect(fired([e], 'destructive-operation', yaml)).toHaveLength(n);
  });

  it('a disabled rule never fires', () => {
    const yaml = 'detection:\n  rules: { destructive-operation: { enabled: false } }\n';
    expect(
      fired([auditEvent({ operation: 'SecretPurge', status: 204 })], 'destructive-operation', yaml),
    ).toHaveLength(0);
  });
});

describe('failed-request-burst', () => {
  it.each<[string, AuditEvent[], number]>([
    ['exactly threshold (10) failures is benign', failures(10), 0],
    ['threshold + 1 failures fires', failures(11), 1],
    ['11 failures spread over more than the window is benign', failures(11, {}, 31_000), 0],
    [
      '401 Authentication challenge noise is benign',
      failures(30, { status: 401, operation: 'Authentication', identity: {}, principal: BOB.ip }),
      0,
    ],
    ['401 on a secret read (bad token) counts', failures(11, { status: 401, operation: 'SecretGet' }), 1],
    ['429 throttling is benign', failures(30, { status: 429 }), 0],
    ['404s count as failures', failures(11, { status: 404 }), 1],
    ['successes do not count', failures(30, { status: 200 }), 0],
  ])('%s', (_name, events, n) => {
    expect(fired(events, 'failed-request-burst')).toHaveLength(n);
  });

  it('fires once per burst, and again for a later separate burst', () => {
    const first = failures(40);
    const later = Array.from({ length: 11 }, (_, i) =>
      auditEvent({ status: 403, at: T0 + 2 * HOUR + i * 1000 }),
    );
    const ds = fired([...first, ...later], 'failed-request-burst');
    expect(ds).toHaveLength(2);
    expect(ds[0]?.eventKeys).toHaveLength(11);
    expect(ds[0]?.summary).toBe(
      'bob@contoso.com made 11 failed requests to vault kv-prod-payments within 2 min',
    );
  });

  it('keys unauthenticated callers by IP', () => {
    const anon = failures(11, {
      status: 401,
      operation: 'SecretGet',
      identity: {},
      principal: 'unknown',
      as: { ip: '192.0.2.9' },
    });
    const [d] = fired(anon, 'failed-request-burst');
    expect(d?.principal).toBe('192.0.2.9');
  });

  it('honours a configured threshold and window', () => {
    const yaml = 'detection:\n  failedBurst: { threshold: 3, window: 1m }\n';
    expect(fired(failures(4, {}, 10_000), 'failed-request-burst', yaml)).toHaveLength(1);
    expect(fired(failures(4, {}, 25_000), 'failed-request-burst', yaml)).toHaveLength(0);
  });
});

describe('bulk-enumeration', () => {
  const list = (at: number) => auditEvent({ operation: 'SecretList', at, object: undefined });
  const gets = (n: number, from: number, distinct = n) =>
    Array.from({ length: n }, (_, i) =>
      auditEvent({ at: from + (i + 1) * 1000, secret: `s-${i % distinct}` }),
    );
  it.each<[string, AuditEvent[], number]>([
    ['a list then 10 distinct gets fires', [list(T0), ...gets(10, T0)], 1],
    ['a list then 9 distinct gets is benign', [list(T0), ...gets(9, T0)], 0],
    ['a list then 30 gets of 3 secrets is benign', [list(T0), ...gets(30, T0, 3)], 0],
    ['10 distinct gets without a list is benign', gets(10, T0), 0],
    ['gets after the window of the list are benign', [list(T0), ...gets(10, T0 + 5 * MINUTE)], 0],
    ['gets before the list are not counted', [...gets(10, T0 - 20_000), list(T0)], 0],
  ])('%s', (_name, events, n) => {
    expect(fired(events, 'bulk-enumeration')).toHaveLength(n);
  });
});

describe('mass-secret-retrieval', () => {
  const reads = (n: number, from: number, spacing = 30_000) =>
    Array.from({ length: n }, (_, i) => auditEvent({ at: from + i * spacing, secret: `s-${i % 5}` }));
  it('more than threshold reads with no baseline fires once per window', () => {
    const ds = fired(reads(60, T0), 'mass-secret-retrieval');
    expect(ds).toHaveLength(1);
    expect(ds[0]?.evidence.retrievals).toBe(26);
  });

  it('exactly threshold reads is benign', () => {
    expect(fired(reads(25, T0), 'mass-secret-retrieval')).toHaveLength(0);
  });

  it('a caller that always reads this much is benign (baseline factor)', () => {
    // 100 reads every day for 10 days: today's 100 is not above 3 × its mean of 100.
    const history = Array.from({ length: 11 }, (_, d) => reads(100, T0 + d * DAY, 60_000)).flat();
    const ds = fired(history, 'mass-secret-retrieval');
    // Only the first day (no baseline yet) fires.
    expect(ds.map((d) => d.time.slice(0, 10))).toEqual(['2025-06-02']);
  });

  it('a caller that suddenly reads far more than usual fires', () => {
    const history = Array.from({ length: 5 }, (_, d) => reads(20, T0 + d * DAY, 60_000)).flat();
    const spike = reads(100, T0 + 5 * DAY, 10_000);
    const ds = fired([...history, ...spike], 'mass-secret-retrieval');
    expect(ds).toHaveLength(1);
    expect(ds[0]?.summary).toMatch(
      /^bob@contoso\.com retrieved 61 secrets or keys from vault kv-prod-payments within 1 day$/,
    );
  });
});

describe('new-principal', () => {
  const yaml = 'detection:\n  baselineDays: 7\n';
  const dailyApi = Array.from({ length: 8 }, (_, d) => auditEvent({ as: PAYMENTS_API, at: T0 + d * DAY }));
  it('is silent during warm-up', () => {
    expect(
      fired([...dailyApi.slice(0, 2), auditEvent({ at: T0 + DAY + HOUR })], 'new-principal', yaml),
    ).toHaveLength(0);
  });

  it('fires once for a newcomer after warm-up', () => {
    const bob = [auditEvent({ at: T0 + 7 * DAY + HOUR }), auditEvent({ at: T0 + 7 * DAY + 2 * HOUR })];
    const ds = fired([...dailyApi, ...bob], 'new-principal', yaml);
    expect(ds).toHaveLength(1);
    expect(ds[0]?.principal).toBe(BOB.oid);
    expect(ds[0]?.summary).toBe(
      'bob@contoso.com used vault kv-prod-payments for the first time in 7 days (SecretGet on secret db-password)',
    );
  });

  it('a known principal is benign and a 403 by a newcomer never fires', () => {
    const denied = auditEvent({ at: T0 + 7 * DAY + HOUR, status: 403 });
    expect(fired([...dailyApi, denied], 'new-principal', yaml)).toHaveLength(0);
  });

  it('a principal absent for longer than the baseline is new again', () => {
    const events = [auditEvent({ at: T0 }), ...dailyApi.slice(1), auditEvent({ at: T0 + 7 * DAY + HOUR })];
    expect(fired(events, 'new-principal', yaml)).toHaveLength(1);
  });
});

describe('unexpected-app', () => {
  const yaml = `vaults:\n  kv-prod-payments:\n    expectedApps: ["${PAYMENTS_API.appId.toUpperCase()}"]\n`;
  it.each<[string, AuditEvent, number]>([
    ['the expected app reading its secret is benign', auditEvent({ as: PAYMENTS_API }), 0],
    ['another app reading the secret fires', auditEvent({}), 1],
    ['a denied read by another app is benign', auditEvent({ status: 403 }), 0],
    ['a read on a vault without expectedApps is benign', auditEvent({ vault: 'kv-other' }), 0],
    ['another app listing secrets is benign', auditEvent({ operation: 'SecretList', object: undefined }), 0],
  ])('%s', (_name, e, n) => {
    expect(fired([e], 'unexpected-app', yaml)).toHaveLength(n);
  });
});

describe('all rules', () => {
  it('a quiet day of the expected workload produces nothing', () => {
    const yaml = `vaults:\n  kv-prod-payments:\n    expectedApps: ["${PAYMENTS_API.appId}"]\n`;
    const events = [
      vaultEvent('VaultGet', 'Deny', {
        as: { oid: '509e4652-da8d-478d-a730-e9d4a1996ca4', appId: '509e4652-da8d-478d-a730-e9d4a1996ca4' },
      }),
      ...Array.from({ length: 20 }, (_, i) => auditEvent({ as: PAYMENTS_API, at: T0 + i * HOUR })),
      ...Array.from({ length: 5 }, (_, i) =>
        auditEvent({
          operation: 'Authentication',
          status: 401,
          identity: {},
          principal: PAYMENTS_API.ip,
          at: T0 + i * 1000,
        }),
      ),
      auditEvent({ operation: 'SecretBackup', as: BACKUP_JOB, at: T0 + 3 * HOUR }),
    ];
    expect(detect(events, `${yaml}detection:\n  backupPrincipals: ["${BACKUP_JOB.oid}"]\n`)).toEqual([]);
  });
});
