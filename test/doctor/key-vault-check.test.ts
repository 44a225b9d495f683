import { PassThrough } from 'node:stream';
import { afterEach, beforeEach, describe, expect, inject, it } from 'vitest';
import { loadConfig } from '../../src/config/load.js';
import { runDoctor } from '../../src/doctor/run-doctor.js';
import { FakeCredential } from '../rotation/fakes/fake-credential.js';
import { KeyVaultFake } from '../rotation/fakes/key-vault-fake.js';

const ACCOUNT_ID =
  '/subscriptions/6b1e2a3c-0000-4000-8000-000000000001/resourceGroups/rg-pay/providers/Microsoft.Storage/storageAccounts/stpayments';
const ROTATION_TAGS = { CredentialId: 'key1', ProviderAddress: ACCOUNT_ID, ValidityPeriodDays: '30' };

let rotating: KeyVaultFake;
let watched: KeyVaultFake;
let urls: Record<string, string>;
beforeEach(async () => {
  rotating = new KeyVaultFake();
  watched = new KeyVaultFake();
  urls = { 'kv-rotating': await rotating.start(), 'kv-watched': await watched.start() };
});
afterEach(async () => {
  await rotating.http.stop();
  await watched.http.stop();
});

/** kv-rotating has a per-vault requester (rotations happen there); kv-watched is only watched. */
function config() {
  const conn = inject('azuriteConnectionString');
  return loadConfig({
    text: [
      'people: { alice: {}, carol: {} }',
      'roles: { approver: [carol] }',
      'vaults:',
      '  kv-rotating: { roles: { requester: [alice] } }',
      '  kv-watched: {}',
      'store: { azureTable: {} }',
    ].join('\n'),
    env: { AZURE_TABLES_CONNECTION_STRING: conn },
  });
}

async function doctor(credential = new FakeCredential()) {
  const out = new PassThrough();
  let text = '';
  out.on('data', (c: Buffer) => (text += c.toString()));
  const problems = await runDoctor(config(), {
    out,
    credential,
    timeoutMs: 10_000,
    keyVault: {
      vaultUrlFor: (vault) => urls[vault]!,
      clientOptions: {
        tlsOptions: { ca: rotating.http.ca },
        disableChallengeResourceVerification: true,
        retryOptions: { maxRetries: 1, retryDelayInMs: 5, maxRetryDelayInMs: 10 },
      },
    },
  });
  const line = (vault: string) =>
    text.split('\n').find((l) => l.includes(`rotation: Key Vault ${vault}:`)) ?? '';
  return { problems, line };
}

describe('doctor: Key Vault permissions per vault', () => {
  it('passes a watched vault where the identity has no role: watching needs none', async () => {
    watched.forbidden = true;
    rotating.put('storage-key', 'v', ROTATION_TAGS);
    const { problems, line } = await doctor();
    expect(problems).toEqual([]);
    expect(line('kv-watched')).toMatch(/^ok {4}.*no Key Vault data role, as least privilege wants/);
  });

  it('fails a vault with rotation requesters where the identity may not read secrets, naming the role', async () => {
    rotating.forbidden = true;
    watched.forbidden = true;
    const { problems, line } = await doctor();
    expect(problems).toEqual([
      expect.stringMatching(
        /^rotation: Key Vault kv-rotating: identity may not read secret properties, but vaults\.kv-rotating\.roles\.requester .*\(fix: assign Key Vault Secrets Officer on this vault/,
      ),
    ]);
    expect(line('kv-watched')).toMatch(/^ok /);
  });

  it('counts the secrets tagged for rotation across pages and names those with incomplete tags', async () => {
    watched.forbidden = true;
    for (let i = 0; i < 28; i++) rotating.put(`plain-${String(i).padStart(2, '0')}`, 'v', {});
    rotating.put('storage-key', 'v', ROTATION_TAGS);
    rotating.put('storage-key-2', 'v', { ...ROTATION_TAGS, CredentialId: 'key2' });
    rotating.put('half-tagged', 'v', { CredentialId: 'key1' });
    const { problems, line } = await doctor();
    expect(problems).toEqual([]);
    expect(line('kv-rotating')).toMatch(
      /^ok {4}.*: 2 secret\(s\) tagged for rotation; incomplete rotation tags on half-tagged; rotating them needs Key Vault Secrets Officer/,
    );
    // 31 secrets at 25 a page: the doctor followed the nextLink.
    const lists = rotating.http.requests.filter((r) => r.method === 'GET' && r.path === '/secrets');
    expect(lists.length).toBeGreaterThanOrEqual(2);
    expect(lists.every((r) => !r.raw.includes('"value"'))).toBe(true);
  });

  it('says a readable watched vault without rotatable secrets needs no role', async () => {
    watched.put('app-setting', 'v', {});
    rotating.put('storage-key', 'v', ROTATION_TAGS);
    const { problems, line } = await doctor();
    expect(problems).toEqual([]);
    expect(line('kv-watched')).toMatch(
      /which watching does not need: no secret is tagged for rotation, so kv-warden needs no role/,
    );
  });

  it('still fails on a refused token (401), which is not a missing role', async () => {
    const credential = new FakeCredential();
    credential.getToken = async () => ({
      token: 'not-the-token',
      expiresOnTimestamp: Date.now() + 3_600_000,
    });
    const { problems } = await doctor(credential);
    expect(problems).toEqual([
      expect.stringMatching(/^rotation: Key Vault kv-rotating: HTTP 401/),
      expect.stringMatching(/^rotation: Key Vault kv-watched: HTTP 401/),
    ]);
  });
});
