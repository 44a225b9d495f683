import type { TokenCredential } from '@azure/core-auth';
import type { SecretClientOptions } from '@azure/keyvault-secrets';
import type { Config } from '../config/load.js';
import { NotAvailableError } from '../errors.js';
import { LocalVaultProvider } from '../rotation/local-vault-provider.js';
import type { SecretVault, StorageKeyRotator } from '../rotation/ports.js';
import { seedDemoVault } from '../rotation/seed-demo-vault.js';
import type { Store } from '../store/store.js';
import type { Clock } from '../util/clock.js';
import { ArmStorageKeyRotator } from './arm-storage-rotator.js';
import { cloudEndpoints } from './cloud-endpoints.js';
import { KeyVaultSecrets } from './key-vault-secrets.js';

export interface RotationProviders {
  readonly vault: SecretVault;
  readonly rotator: StorageKeyRotator;
  readonly kind: 'local' | 'azure';
}

/**
 * The rotation ports for the configuration: in embedded mode the local vault (seeded with the demo vault
 * `kv-demo-payments` / `storage-key` when `demo`), otherwise Key Vault + ARM with the given credential
 * against the endpoints of `azure.cloud` (and its overrides).
 */
export async function createRotationProviders(
  config: Pick<Config, 'embedded' | 'azure'>,
  deps: {
    store: Store;
    clock: Clock;
    credential?: TokenCredential;
    demo?: boolean;
    /** Transport for both SDKs (tests answer in-process to see the URLs; production leaves it unset). */
    httpClient?: SecretClientOptions['httpClient'];
  },
): Promise<RotationProviders> {
  if (config.embedded) {
    const local = new LocalVaultProvider(deps.store, deps.clock);
    if (deps.demo ?? true) await seedDemoVault(local, { nowMs: deps.clock.now() });
    return { vault: local, rotator: local, kind: 'local' };
  }
  if (!deps.credential) {
    throw new NotAvailableError('rotation', 'an Azure credential is needed to reach Key Vault and ARM');
  }
  const endpoints = cloudEndpoints(config.azure);
  const clientOptions = deps.httpClient ? { clientOptions: { httpClient: deps.httpClient } } : {};
  return {
    vault: new KeyVaultSecrets({ credential: deps.credential, endpoints, ...clientOptions }),
    rotator: new ArmStorageKeyRotator({ credential: deps.credential, endpoints, ...clientOptions }),
    kind: 'azure',
  };
}
