import type { TokenCredential } from '@azure/core-auth';
import { SecretClient, type SecretClientOptions } from '@azure/keyvault-secrets';
import type { SecretProperties, SecretVault } from '../rotation/ports.js';
import { isNotFound, upstreamFrom } from './azure-errors.js';
import { type CloudEndpoints, vaultUrl } from './cloud-endpoints.js';

export interface KeyVaultSecretsOptions {
  readonly credential: TokenCredential;
  readonly endpoints: Pick<CloudEndpoints, 'keyVaultDnsSuffix'>;
  /** Overrides the vault URL (tests point it at a loopback fake). */
  readonly vaultUrlFor?: (vault: string) => string;
  /** Extra client options (tests: `tlsOptions`, `disableChallengeResourceVerification`, fast `retryOptions`). */
  readonly clientOptions?: SecretClientOptions;
}

/**
 * Key Vault secrets (`@azure/keyvault-secrets`, challenge-based auth). Properties come from the version list,
 * which carries no values: the value is read only by `getSecretValue`, which only the verify step calls.
 */
export class KeyVaultSecrets implements SecretVault {
  private readonly clients = new Map<string, SecretClient>();

  constructor(private readonly options: KeyVaultSecretsOptions) {}

  async getSecretProperties(vault: string, name: string): Promise<SecretProperties | undefined> {
    const versions: Array<{
      version: string;
      created: number;
      tags: Record<string, string>;
      expiresOn?: Date;
      enabled?: boolean;
    }> = [];
    try {
      for await (const p of this.client(vault).listPropertiesOfSecretVersions(name)) {
        if (!p.version) continue;
        versions.push({
          version: p.version,
          created: p.createdOn?.getTime() ?? 0,
          tags: { ...(p.tags ?? {}) },
          ...(p.expiresOn ? { expiresOn: p.expiresOn } : {}),
          ...(p.enabled === undefined ? {} : { enabled: p.enabled }),
        });
      }
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw upstreamFrom(`reading the properties of secret ${name} in ${vault}`, err);
    }
    if (versions.length === 0) return undefined;
    const newest = Math.max(...versions.map((v) => v.created));
    const candidates = versions.filter((v) => v.created === newest);
    // Creation times have one-second resolution: when several versions share the newest second, ask the
    // vault which one is current. That response carries the value; only its version id is kept.
    const currentId =
      candidates.length === 1 ? candidates[0]?.version : await this.currentVersionId(vault, name);
    const latest = versions.find((v) => v.version === currentId) ?? candidates[candidates.length - 1];
    if (!latest) return undefined;
    return {
      vault: vault.toLowerCase(),
      name,
      version: latest.version,
      tags: latest.tags,
      ...(latest.expiresOn ? { expiresOn: latest.expiresOn.toISOString() } : {}),
      ...(latest.enabled === undefined ? {} : { enabled: latest.enabled }),
    };
  }

  private async currentVersionId(vault: string, name: string): Promise<string | undefined> {
    try {
      return (await this.client(vault).getSecret(name)).properties.version;
    } catch (err) {
      throw upstreamFrom(`reading the current version of secret ${name} in ${vault}`, err);
    }
  }

  async setSecret(
    vault: string,
    name: string,
    value: string,
    options: { tags: Readonly<Record<string, string>>; expiresOn: string },
  ): Promise<{ version: string }> {
    try {
      const result = await this.client(vault).setSecret(name, value, {
        tags: { ...options.tags },
        expiresOn: new Date(options.expiresOn),
      });
      if (!result.properties.version) throw new Error('no version in the response');
      return { version: result.properties.version };
    } catch (err) {
      throw upstreamFrom(`writing a new version of secret ${name} in ${vault}`, err);
    }
  }

  async getSecretValue(vault: string, name: string, version?: string): Promise<string> {
    try {
      const secret = await this.client(vault).getSecret(name, version ? { version } : {});
      if (typeof secret.value !== 'string') throw new Error('no value in the response');
      return secret.value;
    } catch (err) {
      throw upstreamFrom(`reading secret ${name}${version ? ` version ${version}` : ''} in ${vault}`, err);
    }
  }

  private client(vault: string): SecretClient {
    const key = vault.toLowerCase();
    let c = this.clients.get(key);
    if (!c) {
      const url = this.options.vaultUrlFor?.(key) ?? vaultUrl(this.options.endpoints as CloudEndpoints, key);
      c = new SecretClient(url, this.options.credential, this.options.clientOptions);
      this.clients.set(key, c);
    }
    return c;
  }
}
