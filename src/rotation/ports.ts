/**
 * What the rotation domain needs from the outside: a secret vault (Key Vault, or the local vault) and a
 * storage-account key rotator (ARM, or the local vault). Only the executor ever sees key values, and only
 * in local variables: they are never returned to callers, stored, logged or put in errors.
 */

/** A secret's metadata (latest version). Never carries the value. */
export interface SecretProperties {
  readonly vault: string;
  readonly name: string;
  /** Version id of the latest version. */
  readonly version: string;
  readonly tags: Readonly<Record<string, string>>;
  /** ISO time, when the secret has an expiry. */
  readonly expiresOn?: string;
  readonly enabled?: boolean;
}

export interface SecretVault {
  /** Properties and tags of the latest version; undefined when the secret does not exist. */
  getSecretProperties(vault: string, name: string): Promise<SecretProperties | undefined>;
  /** Writes a new version; resolves to its version id. */
  setSecret(
    vault: string,
    name: string,
    value: string,
    options: { tags: Readonly<Record<string, string>>; expiresOn: string },
  ): Promise<{ version: string }>;
  /** The value of a version (latest when omitted). Used only by the executor's verify step. */
  getSecretValue(vault: string, name: string, version?: string): Promise<string>;
}

export type StorageKeyName = 'key1' | 'key2';

export interface StorageKey {
  readonly keyName: StorageKeyName;
  readonly value: string;
  /** ISO time the key was (re)generated; changes on every regeneration. */
  readonly creationTime?: string;
}

export interface StorageKeyRotator {
  /** Regenerates one key of the account (its ARM resource id). */
  regenerateKey(accountId: string, keyName: StorageKeyName): Promise<void>;
  /** Both keys with their values and creation times. */
  listKeys(accountId: string): Promise<StorageKey[]>;
}
