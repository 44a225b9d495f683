import { ErrorCode, KvWardenError } from '../errors.js';
import type { StorageKeyName } from './ports.js';

/** Azure's rotation convention (the tags Key Vault's storage-key rotation samples use). */
export const TAG_CREDENTIAL_ID = 'CredentialId';
export const TAG_PROVIDER_ADDRESS = 'ProviderAddress';
export const TAG_VALIDITY_DAYS = 'ValidityPeriodDays';
/** Added by kv-warden to the version it writes, so a resumed execution recognises its own write. */
export const TAG_ROTATION_ID = 'KvWardenRotation';

const STORAGE_ACCOUNT_ID =
  /^\/subscriptions\/[0-9a-fA-F-]{36}\/resourceGroups\/[-\w.()]{1,90}\/providers\/Microsoft\.Storage\/storageAccounts\/([a-z0-9]{3,24})$/i;

export interface RotationTags {
  readonly credentialId: StorageKeyName;
  readonly accountId: string;
  readonly accountName: string;
  readonly validityPeriodDays: number;
}

/** Reads the three tags; throws RotationNotConfigured naming every missing or invalid tag and what to put there. */
export function readRotationTags(secret: string, tags: Readonly<Record<string, string>>): RotationTags {
  const problems: string[] = [];
  const credentialId = tags[TAG_CREDENTIAL_ID]?.trim().toLowerCase();
  if (credentialId === undefined)
    problems.push(
      `\`${TAG_CREDENTIAL_ID}\` is missing: set it to the key the secret holds now (\`key1\` or \`key2\`)`,
    );
  else if (credentialId !== 'key1' && credentialId !== 'key2') {
    problems.push(`\`${TAG_CREDENTIAL_ID}\` must be \`key1\` or \`key2\``);
  }
  const accountId = tags[TAG_PROVIDER_ADDRESS]?.trim();
  const match = accountId === undefined ? null : STORAGE_ACCOUNT_ID.exec(accountId);
  if (accountId === undefined) {
    problems.push(
      `\`${TAG_PROVIDER_ADDRESS}\` is missing: set it to the storage account's resource id (/subscriptions/<id>/resourceGroups/<group>/providers/Microsoft.Storage/storageAccounts/<name>)`,
    );
  } else if (!match) {
    problems.push(
      `\`${TAG_PROVIDER_ADDRESS}\` is not a storage account resource id (/subscriptions/<id>/resourceGroups/<group>/providers/Microsoft.Storage/storageAccounts/<name>)`,
    );
  }
  const daysText = tags[TAG_VALIDITY_DAYS]?.trim();
  const days = daysText !== undefined && /^\d{1,4}$/.test(daysText) ? Number(daysText) : Number.NaN;
  if (daysText === undefined)
    problems.push(
      `\`${TAG_VALIDITY_DAYS}\` is missing: set it to the number of days a key stays valid (e.g. 60)`,
    );
  else if (!(days >= 1 && days <= 3650))
    problems.push(`\`${TAG_VALIDITY_DAYS}\` must be a whole number of days between 1 and 3650`);
  if (problems.length > 0 || !match || !accountId) {
    const message = `Secret ${secret} is not set up for rotation: ${problems.join('; ')}.`;
    throw new KvWardenError(ErrorCode.RotationNotConfigured, message);
  }
  return {
    credentialId: credentialId as StorageKeyName,
    accountId,
    accountName: (match[1] as string).toLowerCase(),
    validityPeriodDays: days,
  };
}

export function alternateKey(key: StorageKeyName): StorageKeyName {
  return key === 'key1' ? 'key2' : 'key1';
}
