import { randomBytes } from 'node:crypto';
import { NotFoundError } from '../errors.js';
import { casUpdate, type Store } from '../store/store.js';
import type { Clock } from '../util/clock.js';
import type {
  SecretProperties,
  SecretVault,
  StorageKey,
  StorageKeyName,
  StorageKeyRotator,
} from './ports.js';

/** Store collection of the embedded vault. The only place (besides Key Vault) key values are kept. */
export const LOCAL_VAULT = 'local-vault';

interface SecretVersionDoc {
  readonly version: string;
  readonly value: string;
  readonly tags: Record<string, string>;
  readonly expiresOn?: string;
  readonly createdOn: string;
}
interface SecretDoc {
  readonly vault: string;
  readonly name: string;
  readonly versions: SecretVersionDoc[];
}
interface AccountDoc {
  readonly accountId: string;
  readonly keys: StorageKey[];
}

const secretId = (vault: string, name: string) => `secret|${vault.toLowerCase()}|${name.toLowerCase()}`;
const accountId = (id: string) => `account|${id.toLowerCase()}`;

/**
 * The embedded-mode vault (DESIGN §3): secrets with versions and tags, and storage accounts with two keys,
 * kept in the Store and generated with node:crypto, so the whole rotation flow works offline.
 * Implements both rotation ports, with the same observable behaviour as Key Vault and ARM.
 */
export class LocalVaultProvider implements SecretVault, StorageKeyRotator {
  private readonly newKeyValue: () => string;

  /** `options.newKeyValue` replaces the random key generator (tests plant canary values with it). */
  constructor(
    private readonly store: Store,
    private readonly clock: Clock,
    options: { newKeyValue?: () => string } = {},
  ) {
    this.newKeyValue = options.newKeyValue ?? randomKeyValue;
  }

  async getSecretProperties(vault: string, name: string): Promise<SecretProperties | undefined> {
    const doc = (await this.store.get<SecretDoc>(LOCAL_VAULT, secretId(vault, name)))?.value;
    const latest = doc?.versions[doc.versions.length - 1];
    if (!doc || !latest) return undefined;
    return {
      vault: doc.vault,
      name: doc.name,
      version: latest.version,
      tags: { ...latest.tags },
      ...(latest.expiresOn ? { expiresOn: latest.expiresOn } : {}),
      enabled: true,
    };
  }

  async setSecret(
    vault: string,
    name: string,
    value: string,
    options: { tags: Readonly<Record<string, string>>; expiresOn?: string },
  ): Promise<{ version: string }> {
    const version: SecretVersionDoc = {
      version: randomBytes(16).toString('hex'),
      value,
      tags: { ...options.tags },
      ...(options.expiresOn ? { expiresOn: options.expiresOn } : {}),
      createdOn: new Date(this.clock.now()).toISOString(),
    };
    const id = secretId(vault, name);
    const created = await this.store.create<SecretDoc>(LOCAL_VAULT, id, {
      vault: vault.toLowerCase(),
      name,
      versions: [version],
    });
    if (!created) {
      await casUpdate<SecretDoc>(
        this.store,
        LOCAL_VAULT,
        id,
        (doc) => ({ ...doc, versions: [...doc.versions, version] }),
        20,
      );
    }
    return { version: version.version };
  }

  async getSecretValue(vault: string, name: string, version?: string): Promise<string> {
    const doc = (await this.store.get<SecretDoc>(LOCAL_VAULT, secretId(vault, name)))?.value;
    const found =
      version === undefined
        ? doc?.versions[doc.versions.length - 1]
        : doc?.versions.find((v) => v.version === version);
    if (!found)
      throw new NotFoundError(`secret ${name}${version ? ` version ${version}` : ''} in vault ${vault}`);
    return found.value;
  }

  /** Creates an account with two fresh keys if it does not exist yet. */
  async ensureAccount(id: string): Promise<void> {
    const at = new Date(this.clock.now()).toISOString();
    await this.store.create<AccountDoc>(LOCAL_VAULT, accountId(id), {
      accountId: id,
      keys: [
        { keyName: 'key1', value: this.newKeyValue(), creationTime: at },
        { keyName: 'key2', value: this.newKeyValue(), creationTime: at },
      ],
    });
  }

  async regenerateKey(id: string, keyName: StorageKeyName): Promise<void> {
    const updated = await casUpdate<AccountDoc>(
      this.store,
      LOCAL_VAULT,
      accountId(id),
      (doc) => {
        const previous = doc.keys.find((k) => k.keyName === keyName);
        // Strictly later than the previous creation time, as in Azure, even when the clock stands still.
        const ms = Math.max(this.clock.now(), Date.parse(previous?.creationTime ?? '') + 1 || 0);
        const fresh: StorageKey = {
          keyName,
          value: this.newKeyValue(),
          creationTime: new Date(ms).toISOString(),
        };
        return { ...doc, keys: doc.keys.map((k) => (k.keyName === keyName ? fresh : k)) };
      },
      20,
    );
    if (!updated) throw new NotFoundError(`storage account ${id}`);
  }

  async listKeys(id: string): Promise<StorageKey[]> {
    const doc = (await this.store.get<AccountDoc>(LOCAL_VAULT, accountId(id)))?.value;
    if (!doc) throw new NotFoundError(`storage account ${id}`);
    return doc.keys.map((k) => ({ ...k }));
  }
}

/** Like an Azure storage key: 64 random bytes, base64. */
function randomKeyValue(): string {
  return randomBytes(64).toString('base64');
}
