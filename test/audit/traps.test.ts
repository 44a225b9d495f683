/**
 * One table per trap of reference §0 (shared/reference/azure-audit-data.md), each with realistic
 * records from the fixture builder (which follows the reference's real and constructed examples).
 */
import { describe, expect, it } from 'vitest';
import type { AuditEvent } from '../../src/audit/audit-event.js';
import { normalizeNotice, normalizeRecord } from '../../src/audit/normalize.js';
import { parseAuditBody } from '../../src/audit/parse-body.js';
import { parseChunk } from '../../src/audit/parse-chunk.js';
import {
  buildNotice,
  buildRecord,
  CALLERS,
  type RawRecord,
  toArray,
  toAzkvAuditLogsRow,
  toAzureDiagnosticsRow,
  toCloudEvent,
  toEventGrid,
  toJsonLines,
  toRecordsBlob,
} from '../fixtures/records.js';

/** The record in its three row shapes, all of which must normalize the same way. */
const shapes = (rec: RawRecord): Array<[string, RawRecord]> => [
  ['raw', rec],
  ['AzureDiagnostics', toAzureDiagnosticsRow(rec)],
  ['AZKVAuditLogs', toAzkvAuditLogsRow(rec)],
];
const inAllShapes = (rec: RawRecord): AuditEvent[] => shapes(rec).map(([, r]) => normalizeRecord(r));

describe('trap 1: outcome comes from httpStatusCode, never resultType', () => {
  it.each([
    ['SecretGet 403 Forbidden (RBAC)', buildRecord({ preset: 'secretGet403' }), 403],
    ['SecretPurge 403 (access policy)', buildRecord({ preset: 'secretPurge403' }), 403],
    ['KeyGet 404 Not Found', buildRecord({ operationName: 'KeyGet', status: 404 }), 404],
    ['SecretRestore 409 Conflict', buildRecord({ operationName: 'SecretRestore', status: 409 }), 409],
    [
      'CertificateImport 400 Bad Request',
      buildRecord({ operationName: 'CertificateImport', status: 400 }),
      400,
    ],
    ['SecretGet 429 throttled', buildRecord({ preset: 'throttled429' }), 429],
  ])('%s with resultType "Success" is a failure in every shape', (_name, rec, status) => {
    expect(rec.resultType).toBe('Success');
    for (const e of inAllShapes(rec)) {
      expect(e.status).toBe(status);
      expect(e.success).toBe(false);
      expect(e.resultType).toBe('Success');
    }
  });

  it.each([
    ['200 OK', 200, true],
    ['202 Accepted (CertificateCreate)', 202, true],
    ['204 No Content (SecretPurge)', 204, true],
    ['301', 301, false],
  ])('%s decides success=%s', (_n, status, success) => {
    expect(normalizeRecord(buildRecord({ preset: 'secretPurge', status })).success).toBe(success);
  });

  it('a resultType of "Failure" on a 200 is still a success', () => {
    expect(normalizeRecord(buildRecord({ resultType: 'Failure' })).success).toBe(true);
  });

  it.each([
    ['OK', true],
    ['Accepted', true],
    ['Created', true],
    ['No Content', true],
    ['no content', true],
    ['Forbidden', false],
    ['Unauthorized', false],
  ])('without a status, resultSignature %s decides success=%s', (sig, success) => {
    const rec = buildRecord({ resultSignature: sig, properties: { httpStatusCode: undefined } });
    const e = normalizeRecord(rec);
    expect(e.status).toBeUndefined();
    expect(e.success).toBe(success);
  });
});

describe('trap 2: durationMs is a string in blobs and a number in Log Analytics', () => {
  it('normalizes "78" (blob), DurationMs long (AzureDiagnostics) and int (AZKVAuditLogs) to 78', () => {
    const rec = buildRecord({ preset: 'vaultPatchAllow' });
    expect(rec.durationMs).toBe('78');
    expect(toAzureDiagnosticsRow(rec).DurationMs).toBe(78);
    for (const e of inAllShapes(rec)) expect(e.durationMs).toBe(78);
  });
});

describe('trap 3: two claim dialects and missing claims', () => {
  it.each([
    [
      'control-plane URI claims (portal VaultPatch)',
      buildRecord({ preset: 'vaultPatchAllow' }),
      { objectId: CALLERS.bob.oid, upn: 'bob@contoso.com', name: 'bob@contoso.com' },
      CALLERS.bob.oid,
    ],
    [
      'data-plane short claims (user via CLI)',
      buildRecord({ preset: 'secretPurge' }),
      {
        objectId: CALLERS.bob.oid,
        appId: CALLERS.bob.appid,
        upn: 'bob@contoso.com',
        tokenIp: CALLERS.bob.ip,
      },
      CALLERS.bob.oid,
    ],
    [
      'managed identity: oid + appid + xms_mirid, no upn',
      buildRecord({ preset: 'secretGet' }),
      {
        objectId: CALLERS.paymentsApi.oid,
        appId: CALLERS.paymentsApi.appid,
        managedIdentityId: CALLERS.paymentsApi.mirid,
      },
      CALLERS.paymentsApi.oid,
    ],
    [
      'ARG poller: objectidentifier + appid only',
      buildRecord({ preset: 'vaultGetNoFirewall' }),
      { objectId: CALLERS.resourceGraph.oid, appId: CALLERS.resourceGraph.appid },
      CALLERS.resourceGraph.oid,
    ],
    [
      'appid only',
      buildRecord({ claims: { appid: 'B2222222-2222-4222-8222-222222222222' } }),
      { appId: 'b2222222-2222-4222-8222-222222222222' },
      'b2222222-2222-4222-8222-222222222222',
    ],
    [
      'unique_name only (no oid/appid/upn)',
      buildRecord({ claims: { unique_name: 'Carol@Contoso.com' } }),
      { upn: 'Carol@Contoso.com' },
      'carol@contoso.com',
    ],
    [
      'URI upn only',
      buildRecord({
        claims: { 'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/upn': 'dave@contoso.com' },
      }),
      { upn: 'dave@contoso.com' },
      'dave@contoso.com',
    ],
    [
      'unauthenticated 401: no identity, principal is the caller IP',
      buildRecord({ preset: 'auth401' }),
      {},
      '10.20.1.15',
    ],
  ])('%s', (_name, rec, identity, principal) => {
    for (const e of inAllShapes(rec)) {
      expect(e.identity).toMatchObject(identity);
      expect(e.principal).toBe(principal);
    }
  });

  it('oid wins over the URI objectidentifier, which wins over appid', () => {
    const both = normalizeRecord(
      buildRecord({
        claims: {
          oid: 'A1111111-1111-4111-8111-111111111111',
          'http://schemas.microsoft.com/identity/claims/objectidentifier':
            'e5555555-5555-4555-8555-555555555555',
          appid: 'b2222222-2222-4222-8222-222222222222',
        },
      }),
    );
    expect(both.principal).toBe('a1111111-1111-4111-8111-111111111111');
  });

  it('a record with neither identity nor IP has principal "unknown"', () => {
    expect(normalizeRecord(buildRecord({ preset: 'accessPolicyChangedNotification' })).principal).toBe(
      'unknown',
    );
  });
});

describe('trap 4: the three blob formats are all read', () => {
  const recs = [buildRecord({ preset: 'secretGet' }), buildRecord({ preset: 'keyBackup' })];
  it.each([
    ['JSON Lines (since Nov 2018)', toJsonLines(recs)],
    ['{"records":[…]} (legacy blob, Event Hub)', toRecordsBlob(recs)],
    ['{"records":[…]} pretty-printed', toRecordsBlob(recs, { pretty: true })],
    ['bare array', toArray(recs)],
  ])('%s', (_name, text) => {
    const r = parseChunk(Buffer.from(text), { source: 'PT1H.json', firstLine: 1, complete: true });
    expect(r.malformed).toEqual([]);
    expect(r.items.map((i) => (i.kind === 'audit' ? i.event.operation : ''))).toEqual([
      'SecretGet',
      'KeyBackup',
    ]);
  });
});

describe('trap 5: receive-time bucketing and blobs still being appended', () => {
  it('keeps each record its own time, in file order, whatever hour the blob is for', () => {
    const text = toJsonLines([
      buildRecord({ at: '2025-06-02T10:00:01.0000000Z' }),
      buildRecord({ at: '2025-06-02T09:59:58.1234567Z' }),
    ]);
    const r = parseChunk(Buffer.from(text), { source: 'h=10/PT1H.json', firstLine: 1, complete: true });
    expect(r.items.map((i) => (i.kind === 'audit' ? i.event.time : ''))).toEqual([
      '2025-06-02T10:00:01.000Z',
      '2025-06-02T09:59:58.123Z',
    ]);
  });

  it('a half-written last line is neither data nor an error while the blob grows', () => {
    const full = toJsonLines([buildRecord(), buildRecord({ preset: 'keyBackup' })]);
    const cut = full.length - 40;
    const r = parseChunk(Buffer.from(full.slice(0, cut)), {
      source: 'PT1H.json',
      firstLine: 1,
      complete: false,
    });
    expect(r.items).toHaveLength(1);
    expect(r.malformed).toEqual([]);
    expect(r.consumedBytes).toBe(full.indexOf('\n') + 1);
  });
});

describe('trap 6: inconsistent casing', () => {
  it('mixed-case resource id /SUBSCRIPTIONS/F40a1f1d-…/VAULTS/testkey gives a lower-case vault and id', () => {
    const e = normalizeRecord(
      buildRecord({
        resourceId:
          '/SUBSCRIPTIONS/F40a1f1d-f2c6-4444-92a6-XXXXXXXXXX/RESOURCEGROUPS/INTEGRATION/PROVIDERS/MICROSOFT.KEYVAULT/VAULTS/testkey',
      }),
    );
    expect(e.vault).toBe('testkey');
    expect(e.resourceId).toBe(
      '/subscriptions/f40a1f1d-f2c6-4444-92a6-xxxxxxxxxx/resourcegroups/integration/providers/microsoft.keyvault/vaults/testkey',
    );
  });

  it.each([
    ['secretget', 'SecretGet'],
    ['SECRETPURGE', 'SecretPurge'],
    ['vaultaccesspolicychangedeventgridnotification', 'VaultAccessPolicyChangedEventGridNotification'],
    ['KeyRotateIfDue', 'KeyRotateIfDue'],
  ])('operation %s is canonicalized to %s', (given, canonical) => {
    expect(normalizeRecord(buildRecord({ operationName: given })).operation).toBe(canonical);
  });

  it('reads the caller IP from callerIpAddress, CallerIPAddress and CallerIpAddress', () => {
    const rec = buildRecord({ caller: { ip: '2001:DB8::1' } });
    const [raw, ad, azkv] = shapes(rec).map(([, r]) => r);
    expect(raw!.callerIpAddress).toBe('2001:DB8::1');
    expect(ad!.CallerIPAddress).toBe('2001:DB8::1');
    expect(azkv!.CallerIpAddress).toBe('2001:DB8::1');
    const events = inAllShapes(rec);
    for (const e of events) expect(e.ip).toBe('2001:DB8::1');
    const lower = normalizeRecord(buildRecord({ caller: { ip: '2001:db8::1' } }));
    expect(lower.key).toBe(events[0]!.key);
  });
});

describe('trap 7: the authorization-model field is model-specific', () => {
  it.each([
    [
      'RBAC allow with appliedAssignmentId',
      buildRecord({ preset: 'secretGet' }),
      { model: 'rbac', authorized: true, appliedAssignmentId: '7c1e6a2b-4d3f-4e5a-9b8c-0d1e2f3a4b5c' },
    ],
    ['RBAC deny', buildRecord({ preset: 'secretGet403' }), { model: 'rbac', authorized: false }],
    [
      'access-policy match',
      buildRecord({ preset: 'keyBackup' }),
      { model: 'access-policy', authorized: true },
    ],
    [
      'access-policy mismatch',
      buildRecord({ preset: 'secretPurge403' }),
      { model: 'access-policy', authorized: false },
    ],
    [
      'control plane: neither',
      buildRecord({ preset: 'vaultPatchAllow' }),
      { model: undefined, authorized: undefined },
    ],
    ['401: neither', buildRecord({ preset: 'auth401' }), { model: undefined, authorized: undefined }],
  ])('%s', (_name, rec, auth) => {
    for (const e of inAllShapes(rec)) expect(e.authorization).toMatchObject(auth);
  });
});

describe('trap 8: expected 401 challenge noise stays recognisable', () => {
  it('Authentication/401 keeps operation, status and the caller IP as principal in every shape', () => {
    for (const e of inAllShapes(buildRecord({ preset: 'auth401' }))) {
      expect(e).toMatchObject({
        operation: 'Authentication',
        status: 401,
        success: false,
        principal: '10.20.1.15',
      });
      expect(e.identity).toEqual({});
    }
  });
});

describe('trap 9: Vault* records carry the resulting vault state', () => {
  it.each([
    [
      'VaultPatch opening the firewall',
      buildRecord({ preset: 'vaultPatchAllow' }),
      { defaultAction: 'Allow', bypass: 'AzureServices' },
    ],
    [
      'VaultGet by Resource Graph, firewall on',
      buildRecord({ preset: 'vaultGetDeny' }),
      { defaultAction: 'Deny', bypass: 'AzureServices' },
    ],
    ['VaultGet with networkAcls null (public vault)', buildRecord({ preset: 'vaultGetNoFirewall' }), null],
    ['SecretGet: no vault properties, state unknown', buildRecord({ preset: 'secretGet' }), undefined],
  ])('%s', (_name, rec, acls) => {
    for (const e of inAllShapes(rec)) expect(e.networkAcls).toEqual(acls);
  });

  it('reads AZKVAuditLogs NetworkAcls given as a JSON string', () => {
    const row = toAzkvAuditLogsRow(buildRecord({ preset: 'vaultGetDeny' }));
    row.NetworkAcls = JSON.stringify(row.NetworkAcls);
    row.VaultProperties = null;
    expect(normalizeRecord(row).networkAcls).toEqual({ defaultAction: 'Deny', bypass: 'AzureServices' });
  });
});

describe('trap 10: access-policy and IP-rule diffs sit beside requestUri', () => {
  const bobGrant = {
    objectId: CALLERS.bob.oid,
    tenantId: '11111111-2222-4333-8444-555555555555',
    permissions: { keys: [], secrets: ['get', 'list', 'delete', 'purge', 'backup'], certificates: [] },
  };
  it.each([
    ['added', buildRecord({ preset: 'accessPolicyAdded' }), 'addedAccessPolicy'],
    ['removed', buildRecord({ preset: 'accessPolicyRemoved' }), 'removedAccessPolicy'],
  ] as const)('access policy %s, in every shape', (_n, rec, field) => {
    for (const e of inAllShapes(rec)) expect(e[field]).toEqual(bobGrant);
  });

  it('accepts camelCase objectId and comma-separated permission strings', () => {
    const e = normalizeRecord(
      buildRecord({
        preset: 'accessPolicyAdded',
        properties: {
          addedAccessPolicy: {
            objectId: 'C3333333-3333-4333-8333-333333333333',
            permissions: { secrets: 'Get, List,Purge', keys: 'backup', certificates: [] },
          },
        },
      }),
    );
    expect(e.addedAccessPolicy).toEqual({
      objectId: 'c3333333-3333-4333-8333-333333333333',
      tenantId: undefined,
      permissions: { keys: ['backup'], secrets: ['get', 'list', 'purge'], certificates: [] },
    });
  });

  it('IP rule added, in every shape', () => {
    for (const e of inAllShapes(buildRecord({ preset: 'ipRuleAdded' })))
      expect(e.addedIpRule).toBe('203.0.113.66/32');
  });

  it('IP rule removed (no public sample: parsed generically)', () => {
    const rec = buildRecord({
      preset: 'ipRuleAdded',
      properties: { addedIpRule: undefined, removedIpRule: { Value: '198.51.100.0/24' } },
    });
    for (const e of inAllShapes(rec)) {
      expect(e.removedIpRule).toBe('198.51.100.0/24');
      expect(e.addedIpRule).toBeUndefined();
    }
  });
});

describe('trap 11: RBAC changes are not Key Vault audit records; the policy notification is no second change', () => {
  it('the VaultAccessPolicyChangedEventGridNotification companion carries no access-policy diff', () => {
    const e = normalizeRecord(buildRecord({ preset: 'accessPolicyChangedNotification' }));
    expect(e.operation).toBe('VaultAccessPolicyChangedEventGridNotification');
    expect(e.addedAccessPolicy).toBeUndefined();
    expect(e.removedAccessPolicy).toBeUndefined();
  });

  it('an unknown operation name (e.g. a Managed HSM or future op) is valid data kept as given', () => {
    const e = normalizeRecord(buildRecord({ operationName: 'SecretFrobnicate' }));
    expect(e.operation).toBe('SecretFrobnicate');
  });
});

describe('trap 12: Event Grid data in PascalCase or camelCase, NBF/EXP number|string|null', () => {
  it.each([
    ['EventGrid, PascalCase, EXP number, NBF null', toEventGrid(buildNotice())],
    ['EventGrid, camelCase', toEventGrid(buildNotice(), { camelCase: true })],
    ['CloudEvents, PascalCase', toCloudEvent(buildNotice())],
    [
      'CloudEvents, camelCase, EXP string',
      toCloudEvent(buildNotice({ exp: '1751501441' }), { camelCase: true }),
    ],
  ])('%s', (_name, event) => {
    const n = normalizeNotice(event);
    expect(n).toMatchObject({
      id: 'c2a8f1e4-7b3d-4e6f-9a0b-1c2d3e4f5a6b',
      type: 'SecretNearExpiry',
      vault: 'kv-prod-payments',
      objectType: 'Secret',
      objectName: 'storageKey',
      version: '5b8e2c7d9a1f4e3b8c6d0a2e4f6b8d1c',
      expires: '2025-07-03T00:10:41.000Z',
      notBefore: undefined,
      time: '2025-06-03T00:10:41.233Z',
    });
  });

  it('Service Bus delivers one event object per message; webhooks an array: both are read', () => {
    const one = parseAuditBody(Buffer.from(JSON.stringify(toEventGrid(buildNotice()))), 'sb:1');
    const many = parseAuditBody(
      JSON.stringify([
        toCloudEvent(buildNotice()),
        toCloudEvent(buildNotice({ id: 'x2', type: 'KeyNearExpiry' })),
      ]),
      'sb:2',
    );
    expect(one.items.map((i) => i.kind)).toEqual(['notice']);
    expect(many.items.map((i) => (i.kind === 'notice' ? i.notice.type : ''))).toEqual([
      'SecretNearExpiry',
      'KeyNearExpiry',
    ]);
  });
});
