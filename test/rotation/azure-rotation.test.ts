import { createHash } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ArmStorageKeyRotator } from '../../src/azure/arm-storage-rotator.js';
import { cloudEndpoints } from '../../src/azure/cloud-endpoints.js';
import { KeyVaultSecrets } from '../../src/azure/key-vault-secrets.js';
import { Directory } from '../../src/config/directory.js';
import { readEnv } from '../../src/config/env.js';
import { parseConfig } from '../../src/config/load.js';
import { ErrorCode } from '../../src/errors.js';
import { renderRotationCard } from '../../src/rotation/rotation-card.js';
import type { RotationRecord } from '../../src/rotation/rotation-record.js';
import { RotationService } from '../../src/rotation/rotation-service.js';
import { MemoryStore } from '../../src/store/memory-store.js';
import { FakeClock } from '../../src/util/clock.js';
import { ArmStorageFake } from './fakes/arm-storage-fake.js';
import { FakeCredential } from './fakes/fake-credential.js';
import { KeyVaultFake } from './fakes/key-vault-fake.js';
import { actor, CONFIG } from './harness.js';

const SUB = '6b1e2a3c-0000-4000-8000-000000000001';
const ACCOUNT = 'stpayments';
const ACCOUNT_ID = `/subscriptions/${SUB}/resourceGroups/rg-pay/providers/Microsoft.Storage/storageAccounts/${ACCOUNT}`;
const VAULT = 'kv-demo-payments';
const SECRET = 'storage-key';
const CANARY = 'CANARY-AZURE-KEYVALUE';
const sha = (s: string) => createHash('sha256').update(s).digest('hex');
const fast = { retryOptions: { maxRetries: 3, retryDelayInMs: 5, maxRetryDelayInMs: 20 } };

let arm: ArmStorageFake;
let kv: KeyVaultFake;
let credential: FakeCredential;
let service: RotationService;
let store: MemoryStore;
let changes: RotationRecord[];
let n = 0;

beforeEach(async () => {
  arm = new ArmStorageFake(() => `${CANARY}-${++n}-${'B'.repeat(70)}`);
  kv = new KeyVaultFake();
  const armUrl = await arm.start();
  const kvUrl = await kv.start();
  arm.addAccount(ACCOUNT);
  kv.put(SECRET, arm.key(ACCOUNT, 'key1'), {
    CredentialId: 'key1',
    ProviderAddress: ACCOUNT_ID,
    ValidityPeriodDays: '30',
  });
  credential = new FakeCredential();
  const endpoints = cloudEndpoints({ cloud: 'AzureUSGovernment', endpoints: { resourceManager: armUrl } });
  const rotator = new ArmStorageKeyRotator({
    credential,
    endpoints,
    clientOptions: { tlsOptions: { ca: arm.http.ca }, ...fast },
  });
  const vault = new KeyVaultSecrets({
    credential,
    endpoints,
    vaultUrlFor: () => kvUrl,
    clientOptions: { tlsOptions: { ca: kv.http.ca }, disableChallengeResourceVerification: true, ...fast },
  });
  store = new MemoryStore();
  changes = [];
  service = new RotationService({
    store,
    vault,
    rotator,
    directory: new Directory(parseConfig(CONFIG, readEnv({}))),
    clock: new FakeClock(Date.parse('2025-06-02T12:00:00Z')),
    config: { requestTtlMs: 3_600_000, approvalsRequired: 1 },
    onChange: (r) => {
      changes.push(r);
    },
  });
});

afterEach(async () => {
  await arm.http.stop();
  await kv.http.stop();
});

async function rotate(): Promise<RotationRecord | undefined> {
  const r = await service.request(actor.aliceSlack, VAULT, SECRET, 'azure flow');
  return (await service.approve(actor.carol, r.id, r.planHash)).execution;
}

describe('rotation against Azure (ARM storage and Key Vault fakes over HTTPS)', () => {
  it('runs the full flow with the real SDKs: challenge auth, regenerate key2, new version with flipped tags, verified', async () => {
    const before = arm.key(ACCOUNT, 'key1');
    const done = await rotate();
    expect(done?.state).toBe('done');
    expect(arm.regenerations).toBe(1);
    expect(kv.writes).toBe(1);
    expect(arm.key(ACCOUNT, 'key1')).toBe(before);
    const latest = kv.latest(SECRET);
    expect(latest?.version).toBe(done?.execution.newVersion);
    expect(latest?.tags).toMatchObject({
      CredentialId: 'key2',
      ProviderAddress: ACCOUNT_ID,
      ValidityPeriodDays: '30',
    });
    expect(latest?.exp).toBe(Math.floor(Date.parse('2025-07-02T12:00:00Z') / 1000));
    expect(sha(latest?.value ?? '')).toBe(sha(arm.key(ACCOUNT, 'key2')));
    // Scopes: ARM from the configured (overridden) endpoint, Key Vault from the challenge.
    expect(new Set(credential.scopes)).toEqual(
      new Set([`${arm.baseUrl}/.default`, 'https://vault.azure.net/.default']),
    );
    expect(kv.http.requests.some((r) => r.headers.authorization === undefined)).toBe(true);
    // The regenerate request has the real shape.
    const regen = arm.http.requests.find((r) => r.path.endsWith('/regenerateKey'));
    expect(regen?.body).toEqual({ keyName: 'key2' });
    expect(regen?.query.get('api-version')).toMatch(/^\d{4}-\d{2}-\d{2}$/);
  });

  it('retries 429 with Retry-After and 5xx, then succeeds', async () => {
    arm.http.failNext('listKeys', 429, 1, { retryAfterSeconds: 0 });
    arm.http.failNext('regenerateKey', 503, 1);
    kv.http.failNext('setSecret', 500, 1);
    kv.http.failNext('listVersions', 429, 2, { retryAfterSeconds: 0 });
    const done = await rotate();
    expect(done?.state).toBe('done');
    expect(kv.writes).toBe(1);
  });

  it.each([
    ['listKeys', 'approved'],
    ['regenerateKey', 'regenerating'],
    ['setSecret', 'writing-secret'],
    ['getSecret', 'verifying'],
  ] as const)('records a persistent failure of %s as failed at %s', async (op, step) => {
    const fake = op === 'listKeys' || op === 'regenerateKey' ? arm.http : kv.http;
    fake.failNext(op, 500, 100);
    const done = await rotate();
    expect(done?.state).toBe('failed');
    expect(done?.execution.failedStep).toBe(step);
    expect(done?.execution.error).toMatch(/HTTP 500/);
  });

  it('refuses the plan when the secret changed in Key Vault after the request', async () => {
    const r = await service.request(actor.aliceSlack, VAULT, SECRET, 'x');
    kv.put(SECRET, 'manual change', { ...kv.latest(SECRET)?.tags });
    const done = await (await service.approve(actor.carol, r.id, r.planHash)).execution;
    expect(done?.state).toBe('failed');
    expect(done?.execution.error).toMatch(/new version/);
    expect(arm.regenerations).toBe(0);
  });

  it('explains a missing secret and missing tags without reading any value', async () => {
    await expect(service.request(actor.aliceSlack, VAULT, 'absent', 'x')).rejects.toMatchObject({
      code: ErrorCode.NotFound,
    });
    kv.put('untagged', 'v', {});
    await expect(service.request(actor.aliceSlack, VAULT, 'untagged', 'x')).rejects.toMatchObject({
      code: ErrorCode.RotationNotConfigured,
    });
    const reads = kv.http.requests.filter((r) => r.method === 'GET' && !r.path.endsWith('/versions'));
    expect(reads).toEqual([]);
  });

  it('never lets the key values from ARM reach rotation documents, the audit trail, cards or errors', async () => {
    kv.http.failNext('getSecret', 500, 100);
    await rotate();
    const outgoing = [
      JSON.stringify(await store.list('rotations')),
      ...(await Promise.all(
        (
          await store.list<RotationRecord>('rotations')
        ).map(async (d) => JSON.stringify(await store.listAudit(d.id))),
      )),
      ...changes.map((c) => JSON.stringify(renderRotationCard(c))),
    ];
    expect(kv.http.requests.some((r) => r.raw.includes(CANARY))).toBe(true); // it did travel to Key Vault
    for (const text of outgoing) expect(text).not.toContain(CANARY);
  });
});
