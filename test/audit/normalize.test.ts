/** Field-level normalization rules beyond the §0 traps: objects, vault identification, notices. */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { type EventKeyFields, eventKey } from '../../src/audit/event-key.js';
import { normalizeNotice, normalizeRecord } from '../../src/audit/normalize.js';
import { parseAuditBody } from '../../src/audit/parse-body.js';
import {
  buildNotice,
  buildRecord,
  toAzureDiagnosticsRow,
  toCloudEvent,
  toEventGrid,
} from '../fixtures/records.js';

describe('object acted on, from id or else requestUri', () => {
  it.each([
    [
      'https://kv1.vault.azure.net/secrets/db-password/3f1c9a7e5b2d4c6e8f0a1b2c3d4e5f60',
      { type: 'secret', deleted: false, name: 'db-password', version: '3f1c9a7e5b2d4c6e8f0a1b2c3d4e5f60' },
    ],
    [
      'https://kv1.vault.azure.net/secrets/a',
      { type: 'secret', deleted: false, name: 'a', version: undefined },
    ],
    [
      'https://kv1.vault.azure.net/keys/payments-signing',
      { type: 'key', deleted: false, name: 'payments-signing' },
    ],
    [
      'https://kv1.vault.azure.net/certificates/web-tls/ABCDEF0123456789ABCDEF0123456789',
      { type: 'certificate', name: 'web-tls', version: 'ABCDEF0123456789ABCDEF0123456789' },
    ],
    [
      'https://kv1.vault.azure.net/deletedsecrets/stripe-api-key',
      { type: 'secret', deleted: true, name: 'stripe-api-key' },
    ],
    ['https://kv1.vault.azure.net/deletedkeys/k1', { type: 'key', deleted: true, name: 'k1' }],
    [
      'https://kv1.vault.azure.net/deletedcertificates/c1',
      { type: 'certificate', deleted: true, name: 'c1' },
    ],
    ['https://kv1.vault.azure.net/', { type: 'vault', deleted: false, name: undefined }],
    ['https://kv1.vault.azure.net/storage/acct1', { type: 'storage', name: 'acct1' }],
    ['https://kv1.vault.azure.net/constructor/x', { type: 'other', name: undefined }],
    ['https://KV1.Vault.Azure.Net/Secrets/A', { type: 'secret', name: 'A' }],
  ])('id %s', (id, object) => {
    expect(normalizeRecord(buildRecord({ properties: { id } })).object).toMatchObject(object);
  });

  it.each([
    [
      'list: no id, only the collection',
      'https://kv1.vault.azure.net/secrets?api-version=7.5&maxresults=25',
      { type: 'secret', name: undefined },
    ],
    [
      'backup action after the name is no version',
      'https://kv1.vault.azure.net/keys/k1/backup?api-version=7.3',
      { type: 'key', name: 'k1', version: undefined },
    ],
    [
      'restore has no name',
      'https://kv1.vault.azure.net/secrets/restore?api-version=7.5',
      { type: 'secret', name: undefined },
    ],
    [
      'list versions',
      'https://kv1.vault.azure.net/secrets/s1/versions?api-version=7.5',
      { type: 'secret', name: 's1', version: undefined },
    ],
    [
      'ARM call is the vault itself',
      'https://management.azure.com/subscriptions/x/resourceGroups/rg/providers/Microsoft.KeyVault/vaults/kv1?api-version=2023-07-01',
      { type: 'vault' },
    ],
  ])('requestUri when id is absent: %s', (_n, requestUri, object) => {
    const e = normalizeRecord(buildRecord({ properties: { id: undefined, requestUri } }));
    expect(e.object).toMatchObject(object);
  });
});

describe('vault identification', () => {
  it('from resourceId, else AzureDiagnostics Resource, else the id host, else an ARM requestUri path', () => {
    expect(normalizeRecord(buildRecord({ vault: 'kv-a' })).vault).toBe('kv-a');
    const row = toAzureDiagnosticsRow(buildRecord({ vault: 'kv-b' }));
    delete row.ResourceId;
    delete row._ResourceId;
    expect(normalizeRecord(row).vault).toBe('kv-b');
    const noRid = buildRecord({ vault: 'kv-c', resourceId: undefined });
    expect(normalizeRecord(noRid)).toMatchObject({ vault: 'kv-c', resourceId: '' });
    const armOnly = buildRecord({
      preset: 'vaultPatchAllow',
      vault: 'kv-d',
      resourceId: undefined,
      properties: { id: undefined },
    });
    expect(normalizeRecord(armOnly).vault).toBe('kv-d');
  });

  it('Managed HSM resource ids name the HSM', () => {
    const e = normalizeRecord(
      buildRecord({
        resourceId: '/SUBSCRIPTIONS/S/RESOURCEGROUPS/RG/PROVIDERS/MICROSOFT.KEYVAULT/MANAGEDHSMS/HSM-ONE',
      }),
    );
    expect(e.vault).toBe('hsm-one');
  });
});

describe('normalized scalars', () => {
  it('keeps time at ms precision as ISO UTC and epoch ms; offsets are converted', () => {
    const a = normalizeRecord(buildRecord({ at: '2025-06-02T09:00:05.1234567Z' }));
    expect(a.time).toBe('2025-06-02T09:00:05.123Z');
    expect(a.timeMs).toBe(Date.UTC(2025, 5, 2, 9, 0, 5, 123));
    const b = normalizeRecord(buildRecord({ at: '2025-06-02T11:00:05.123+02:00' }));
    expect(b.timeMs).toBe(a.timeMs);
  });

  it('parses times exactly like Date over four centuries, leap days included', () => {
    for (let t = Date.UTC(1700, 0, 1); t < Date.UTC(2300, 0, 1); t += 86_400_000 * 7.3 + 12_345) {
      const ms = Math.floor(t);
      const at = new Date(ms).toISOString();
      expect(normalizeRecord(buildRecord({ at })).timeMs).toBe(ms);
    }
  });

  it('carries version, result texts, client info, TLS and correlation id', () => {
    const e = normalizeRecord(buildRecord({ preset: 'secretGet' }));
    expect(e).toMatchObject({
      operationVersion: '7.5',
      resultSignature: 'OK',
      clientInfo: 'azsdk-net-Security.KeyVault.Secrets/4.6.0 (.NET 8.0.4; Ubuntu 22.04)',
      tlsVersion: 'TLS1_3',
      correlationId: '5d7b2f0e-0c2a-4f8e-9b1a-3f6c2d1e0a11',
      durationMs: 11,
    });
  });

  it('eventKey depends on each identity field', () => {
    const base = normalizeRecord(buildRecord());
    const variants = [
      { ...base, timeMs: base.timeMs + 1 },
      { ...base, vault: 'other' },
      { ...base, operation: 'SecretSet' },
      { ...base, correlationId: 'x' },
      { ...base, requestUri: 'https://x.vault.azure.net/secrets/y' },
      { ...base, ip: '192.0.2.1' },
      { ...base, principal: 'someone' },
      { ...base, status: 403 },
    ];
    const keys = new Set([base.key, ...variants.map(eventKey)]);
    expect(keys.size).toBe(variants.length + 1);
    expect(eventKey({ ...base, operation: 'SECRETGET', requestUri: base.requestUri?.toUpperCase() })).toBe(
      base.key,
    );
    expect(base.key).toMatch(/^[0-9a-f]{32}$/);
  });

  it('eventKey keeps its persisted value: sha256 of the fields joined by newlines, 32 hex chars', () => {
    const fields: Omit<EventKeyFields, 'timeMs'> = {
      vault: 'kv-prod-payments',
      operation: 'SecretGet',
      correlationId: '4a1b2c3d-0c2a-4f8e-9b1a-3f6c2d1e0a11',
      requestUri: 'https://KV-PROD-PAYMENTS.vault.azure.net/secrets/db/?api-version=7.5',
      ip: '10.20.0.4',
      principal: 'e5555555-5555-4555-8555-555555555555',
      status: 200,
    };
    const expected = (timeMs: number, f = fields) =>
      createHash('sha256')
        .update(
          [
            String(timeMs),
            f.vault,
            f.operation.toLowerCase(),
            f.correlationId ?? '',
            f.requestUri?.toLowerCase() ?? '',
            f.ip?.toLowerCase() ?? '',
            f.principal,
            f.status ?? '',
          ].join('\n'),
          'utf8',
        )
        .digest('hex')
        .slice(0, 32);
    // one pinned value, so a change of the recipe cannot go unnoticed
    expect(eventKey({ ...fields, timeMs: Date.parse('2025-06-02T11:12:00.123Z') })).toBe(
      '797d68e81e25a7ead42c45321c8392e7',
    );
    for (const timeMs of [
      0,
      7,
      9_999_999,
      10_000_000,
      10_000_001,
      1_748_862_720_123,
      1_748_869_999_999,
      1_748_860_000_000,
      -1_000,
      253_402_300_799_999,
      Number.MAX_SAFE_INTEGER,
    ])
      expect(eventKey({ ...fields, timeMs }), String(timeMs)).toBe(expected(timeMs));
    const sparse = {
      ...fields,
      correlationId: undefined,
      requestUri: undefined,
      ip: undefined,
      status: undefined,
    };
    expect(eventKey({ ...sparse, timeMs: 1_748_862_720_123 })).toBe(expected(1_748_862_720_123, sparse));
    const unicode = { ...fields, principal: 'zoë@contoso.com' };
    expect(eventKey({ ...unicode, timeMs: 1 })).toBe(expected(1, unicode));
  });
});

describe('Event Grid notices', () => {
  it('reads the reference examples (EventGrid array, CloudEvents array, SecretNearExpiry)', () => {
    const file = fileURLToPath(new URL('../fixtures/audit/eventgrid-examples.json', import.meta.url));
    const { items, malformed } = parseAuditBody(readFileSync(file), 'eventgrid-examples.json');
    expect(malformed).toEqual([]);
    expect(
      items.map((i) => (i.kind === 'notice' ? [i.notice.schema, i.notice.type, i.notice.vault] : [])),
    ).toEqual([
      ['eventgrid', 'SecretNewVersionCreated', 'sample-kv'],
      ['cloudevents', 'SecretNewVersionCreated', 'sample-kv'],
      ['eventgrid', 'SecretNearExpiry', 'kv-prod-payments'],
    ]);
    const first = items[0]!;
    expect(first.kind === 'notice' && first.notice).toMatchObject({
      notBefore: '2019-05-28T22:19:40.000Z',
      expires: '2019-05-28T22:21:42.000Z',
      objectId: 'https://sample-kv.vault.azure.net/secrets/newsecret/ee059b2bb5bc48398a53b168c6cdcb10',
    });
  });

  it('VaultAccessPolicyChanged keeps its short type; the vault comes from the topic when data lacks it', () => {
    const ev = toEventGrid(buildNotice({ type: 'VaultAccessPolicyChanged', objectType: 'Vault' }));
    delete (ev.data as Record<string, unknown>).VaultName;
    expect(normalizeNotice(ev)).toMatchObject({
      type: 'VaultAccessPolicyChanged',
      vault: 'kv-prod-payments',
    });
  });

  it.each([
    [
      'a subscription-validation event',
      { ...toEventGrid(buildNotice()), eventType: 'Microsoft.EventGrid.SubscriptionValidationEvent' },
      'not a Key Vault event',
    ],
    ['an event without time', { ...toCloudEvent(buildNotice()), time: undefined }, 'missing time'],
    ['an EXP that is not a number', toEventGrid(buildNotice({ exp: 'soon' })), 'data.EXP must be a number'],
    ['an event without id', { ...toCloudEvent(buildNotice()), id: undefined }, 'missing event id'],
  ])('rejects %s', (_n, ev, reason) => {
    expect(() => normalizeNotice(ev)).toThrow(reason);
  });
});
