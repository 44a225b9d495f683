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
