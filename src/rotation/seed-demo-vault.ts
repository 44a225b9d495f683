import type { LocalVaultProvider } from './local-vault-provider.js';
import { TAG_CREDENTIAL_ID, TAG_PROVIDER_ADDRESS, TAG_VALIDITY_DAYS } from './rotation-tags.js';

export const DEMO_VAULT = 'kv-demo-payments';
export const DEMO_SECRET = 'storage-key';
export const DEMO_ACCOUNT_ID =
  '/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg-demo/providers/Microsoft.Storage/storageAccounts/stdemopayments';

/**
 * Demo data for embedded mode: a storage account with two keys and, in `kv-demo-payments`, a secret
 * `storage-key` holding key1 with the rotation tags. Idempotent: an existing secret is left alone.
 */
export async function seedDemoVault(
  provider: LocalVaultProvider,
  options: {
    vault?: string;
    secret?: string;
    accountId?: string;
    validityPeriodDays?: number;
    nowMs: number;
  },
): Promise<void> {
  const vault = options.vault ?? DEMO_VAULT;
  const secret = options.secret ?? DEMO_SECRET;
  const account = options.accountId ?? DEMO_ACCOUNT_ID;
  const days = options.validityPeriodDays ?? 60;
  await provider.ensureAccount(account);
  if (await provider.getSecretProperties(vault, secret)) return;
  const key1 = (await provider.listKeys(account)).find((k) => k.keyName === 'key1');
  if (!key1) return;
  await provider.setSecret(vault, secret, key1.value, {
    tags: { [TAG_CREDENTIAL_ID]: 'key1', [TAG_PROVIDER_ADDRESS]: account, [TAG_VALIDITY_DAYS]: String(days) },
    expiresOn: new Date(options.nowMs + days * 86_400_000).toISOString(),
  });
}
