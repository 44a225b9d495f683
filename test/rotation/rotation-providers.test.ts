import type { SecretClientOptions } from '@azure/keyvault-secrets';
import { describe, expect, it } from 'vitest';
import { ArmStorageKeyRotator } from '../../src/azure/arm-storage-rotator.js';
import { KeyVaultSecrets } from '../../src/azure/key-vault-secrets.js';
import { createRotationProviders } from '../../src/azure/rotation-providers.js';
import { ErrorCode } from '../../src/errors.js';
import { LocalVaultProvider } from '../../src/rotation/local-vault-provider.js';
import { DEMO_SECRET, DEMO_VAULT } from '../../src/rotation/seed-demo-vault.js';
import { MemoryStore } from '../../src/store/memory-store.js';
import { FakeClock } from '../../src/util/clock.js';
import { FakeCredential } from './fakes/fake-credential.js';

describe('createRotationProviders', () => {
  it('uses the seeded local vault in embedded mode', async () => {
    const store = new MemoryStore();
    const p = await createRotationProviders(
      { embedded: true, azure: { cloud: 'AzurePublic' } },
      { store, clock: new FakeClock() },
    );
    expect(p.kind).toBe('local');
    expect(p.vault).toBeInstanceOf(LocalVaultProvider);
    const props = await p.vault.getSecretProperties(DEMO_VAULT, DEMO_SECRET);
    expect(props?.tags).toMatchObject({ CredentialId: 'key1', ValidityPeriodDays: '60' });
    // Seeding twice keeps the existing secret.
    await createRotationProviders(
      { embedded: true, azure: { cloud: 'AzurePublic' } },
      { store, clock: new FakeClock() },
    );
    expect((await p.vault.getSecretProperties(DEMO_VAULT, DEMO_SECRET))?.version).toBe(props?.version);
  });

  it('uses Key Vault and ARM with a credential, and refuses loudly without one', async () => {
    const deps = { store: new MemoryStore(), clock: new FakeClock() };
    const azure = { embedded: false, azure: { cloud: 'AzureChina' as const } };
    const p = await createRotationProviders(azure, { ...deps, credential: new FakeCredential() });
    expect(p.kind).toBe('azure');
    expect(p.vault).toBeInstanceOf(KeyVaultSecrets);
    expect(p.rotator).toBeInstanceOf(ArmStorageKeyRotator);
    await expect(createRotationProviders(azure, deps)).rejects.toMatchObject({
      code: ErrorCode.NotAvailable,
    });
  });
});

type HttpClient = NonNullable<SecretClientOptions['httpClient']>;
type PipelineRequest = Parameters<HttpClient['sendRequest']>[0];
type PipelineResponse = Awaited<ReturnType<HttpClient['sendRequest']>>;

/** Response headers in the SDK pipeline's shape (case-insensitive names). */
function headers(init: Record<string, string>): PipelineResponse['headers'] {
  const map = new Map(Object.entries(init).map(([k, v]) => [k.toLowerCase(), v]));
  return {
    get: (name) => map.get(name.toLowerCase()),
    has: (name) => map.has(name.toLowerCase()),
    set: (name, value) => void map.set(name.toLowerCase(), String(value)),
    delete: (name) => void map.delete(name.toLowerCase()),
    toJSON: () => Object.fromEntries(map),
    [Symbol.iterator]: () => map.entries(),
  };
}

/**
 * Azure as the SDKs see it, answered in-process (nothing leaves the machine): Key Vault challenges an
 * unauthenticated request with the resource of the given cloud (the SDK checks it matches the vault's host)
 * and then has no such secret; ARM lists two keys for a bearer token. Records every URL.
 */
function azureTransport(keyVaultResource: string): HttpClient & { urls: string[] } {
  const urls: string[] = [];
  const respond = (
    request: PipelineRequest,
    status: number,
    body: unknown,
    extra: Record<string, string> = {},
  ) => ({
    request,
    status,
    headers: headers({ 'content-type': 'application/json', ...extra }),
    bodyAsText: JSON.stringify(body),
  });
  return {
    urls,
    async sendRequest(request) {
      urls.push(request.url);
      const authorised = request.headers.get('authorization')?.startsWith('Bearer ') === true;
      if (request.url.includes('/secrets/')) {
        if (!authorised) {
          return respond(
            request,
            401,
            { error: { code: 'Unauthorized' } },
            {
              'www-authenticate': `Bearer authorization="https://login.example/tenant", resource="${keyVaultResource}"`,
            },
          );
        }
        return respond(request, 404, { error: { code: 'SecretNotFound', message: 'not found' } });
      }
      if (!authorised) return respond(request, 401, { error: { code: 'AuthenticationFailed' } });
      return respond(request, 200, {
        keys: [
          { keyName: 'key1', value: 'v1', permissions: 'FULL', creationTime: '2026-01-01T00:00:00Z' },
          { keyName: 'key2', value: 'v2', permissions: 'FULL', creationTime: '2026-01-01T00:00:00Z' },
        ],
      });
    },
  };
}

describe('Key Vault and ARM endpoints follow azure.cloud', () => {
  const ACCOUNT_ID =
    '/subscriptions/6b1e2a3c-0000-4000-8000-000000000001/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/stpay';

  it.each([
    ['AzurePublic', undefined, 'https://management.azure.com', 'vault.azure.net'],
    ['AzureChina', undefined, 'https://management.chinacloudapi.cn', 'vault.azure.cn'],
    ['AzureUSGovernment', undefined, 'https://management.usgovcloudapi.net', 'vault.usgovcloudapi.net'],
    [
      'AzurePublic',
      { resourceManager: 'https://arm.contoso.example/', keyVaultDnsSuffix: 'vault.contoso.example' },
      'https://arm.contoso.example',
      'vault.contoso.example',
    ],
  ] as const)(
    '%s (overrides %j): ARM at %s, vaults under %s, tokens for each',
    async (cloud, endpoints, arm, suffix) => {
      const transport = azureTransport(`https://${suffix}`);
      const credential = new FakeCredential();
      const p = await createRotationProviders(
        { embedded: false, azure: { cloud, ...(endpoints ? { endpoints } : {}) } },
        { store: new MemoryStore(), clock: new FakeClock(), credential, httpClient: transport },
      );
      expect((await p.rotator.listKeys(ACCOUNT_ID)).map((k) => k.keyName)).toEqual(['key1', 'key2']);
      expect(await p.vault.getSecretProperties('kv-pay', 'storage-key')).toBeUndefined();

      const hosts = transport.urls.map((u) => new URL(u).origin);
      expect(new Set(hosts)).toEqual(new Set([arm, `https://kv-pay.${suffix}`]));
      expect(transport.urls.find((u) => u.startsWith(arm))).toMatch(
        /\/subscriptions\/[^/]+\/resourceGroups\/rg\/providers\/Microsoft\.Storage\/storageAccounts\/stpay\/listKeys\?/,
      );
      expect(new Set(credential.scopes)).toEqual(new Set([`${arm}/.default`, `https://${suffix}/.default`]));
    },
  );

  it('refuses a Key Vault challenge for another cloud’s resource (the SDK checks it against the vault host)', async () => {
    const transport = azureTransport('https://vault.azure.net');
    const credential = new FakeCredential();
    const p = await createRotationProviders(
      { embedded: false, azure: { cloud: 'AzureChina' } },
      { store: new MemoryStore(), clock: new FakeClock(), credential, httpClient: transport },
    );
    await expect(p.vault.getSecretProperties('kv-pay', 'storage-key')).rejects.toThrow();
    expect(credential.scopes).toEqual([]);
  });
});
