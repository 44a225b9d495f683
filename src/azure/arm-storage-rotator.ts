import { StorageManagementClient, type StorageManagementClientOptionalParams } from '@azure/arm-storage';
import type { TokenCredential } from '@azure/core-auth';
import { InvalidParameterError } from '../errors.js';
import type { StorageKey, StorageKeyName, StorageKeyRotator } from '../rotation/ports.js';
import { upstreamFrom } from './azure-errors.js';
import type { CloudEndpoints } from './cloud-endpoints.js';

const ACCOUNT_ID =
  /^\/subscriptions\/([0-9a-fA-F-]{36})\/resourceGroups\/([-\w.()]{1,90})\/providers\/Microsoft\.Storage\/storageAccounts\/([a-z0-9]{3,24})$/i;

export interface ArmStorageRotatorOptions {
  readonly credential: TokenCredential;
  readonly endpoints: Pick<CloudEndpoints, 'resourceManager'>;
  /** Extra client options (tests: `tlsOptions`, fast `retryOptions`). */
  readonly clientOptions?: StorageManagementClientOptionalParams;
}

/**
 * Storage-account keys through ARM (`@azure/arm-storage`): `regenerateKey` and `listKeys` on the account named
 * by its resource id. The ARM endpoint and token scope follow `azure.cloud` (or the explicit override).
 * 429/5xx are retried by the SDK's retry policy (honouring Retry-After) before an UpstreamError is raised.
 */
export class ArmStorageKeyRotator implements StorageKeyRotator {
  private readonly clients = new Map<string, StorageManagementClient>();

  constructor(private readonly options: ArmStorageRotatorOptions) {}

  async regenerateKey(accountId: string, keyName: StorageKeyName): Promise<void> {
    const { subscription, group, name } = parseAccountId(accountId);
    try {
      await this.client(subscription).storageAccounts.regenerateKey(group, name, { keyName });
    } catch (err) {
      throw upstreamFrom(`regenerating ${keyName} of storage account ${name}`, err);
    }
  }

  async listKeys(accountId: string): Promise<StorageKey[]> {
    const { subscription, group, name } = parseAccountId(accountId);
    try {
      const result = await this.client(subscription).storageAccounts.listKeys(group, name);
      return (result.keys ?? [])
        .filter((k) => (k.keyName === 'key1' || k.keyName === 'key2') && typeof k.value === 'string')
        .map((k) => ({
          keyName: k.keyName as StorageKeyName,
          value: k.value as string,
          ...(k.creationTime ? { creationTime: new Date(k.creationTime).toISOString() } : {}),
        }));
    } catch (err) {
      throw upstreamFrom(`listing the keys of storage account ${name}`, err);
    }
  }

  private client(subscription: string): StorageManagementClient {
    let c = this.clients.get(subscription);
    if (!c) {
      const endpoint = this.options.endpoints.resourceManager.replace(/\/$/, '');
      c = new StorageManagementClient(this.options.credential, subscription, {
        ...this.options.clientOptions,
        endpoint,
        credentials: { scopes: [`${endpoint}/.default`] },
      });
      this.clients.set(subscription, c);
    }
    return c;
  }
}

function parseAccountId(accountId: string): { subscription: string; group: string; name: string } {
  const m = ACCOUNT_ID.exec(accountId);
  if (!m) throw new InvalidParameterError('ProviderAddress', 'is not a storage account resource id');
  return { subscription: m[1] as string, group: m[2] as string, name: (m[3] as string).toLowerCase() };
}
