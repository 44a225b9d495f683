import type { TokenCredential } from '@azure/core-auth';
import type { SecretClientOptions } from '@azure/keyvault-secrets';
import { type CloudEndpoints, vaultUrl } from '../azure/cloud-endpoints.js';
import type { Config } from '../config/load.js';
import { KvWardenError } from '../errors.js';
import { readRotationTags, TAG_CREDENTIAL_ID, TAG_PROVIDER_ADDRESS } from '../rotation/rotation-tags.js';
import type { DoctorCheck } from './check.js';

/** How the doctor reaches Key Vault (tests point it at a loopback fake). */
export interface KeyVaultProbeOptions {
  readonly vaultUrlFor?: (vault: string) => string;
  readonly clientOptions?: SecretClientOptions;
}

/** Secret properties read per vault (25 a page, the service's maximum); enough to see whether any is tagged. */
const MAX_SECRETS = 250;

/**
 * Key Vault permission for one watched vault. Watching needs no data-plane role (audit events arrive through
 * the diagnostic setting); only rotation needs Key Vault Secrets Officer. A rotatable secret carries the rotation
 * tags (`CredentialId`, `ProviderAddress`, `ValidityPeriodDays`), which only a role holder can see, so the
 * configuration's statement that rotations happen on this vault — people in `vaults.<name>.roles.requester` —
 * is what makes a refusal a problem. Everywhere else a refusal is the expected least-privilege answer.
 */
export function keyVaultCheck(
  config: Config,
  vault: string,
  endpoints: CloudEndpoints,
  credential: () => Promise<TokenCredential>,
  probe: KeyVaultProbeOptions = {},
): DoctorCheck {
  const requesters = config.vaults[vault]?.roles?.requester ?? [];
  return {
    name: `rotation: Key Vault ${vault}`,
    async run() {
      const { SecretClient } = await import('@azure/keyvault-secrets');
      const url = probe.vaultUrlFor?.(vault) ?? vaultUrl(endpoints, vault);
      const client = new SecretClient(url, await credential(), probe.clientOptions);
      const rotatable: string[] = [];
      const incomplete: string[] = [];
      let seen = 0;
      try {
        for await (const page of client.listPropertiesOfSecrets().byPage({ maxPageSize: 25 })) {
          for (const secret of page) {
            const tags = secret.tags ?? {};
            if (tags[TAG_CREDENTIAL_ID] !== undefined || tags[TAG_PROVIDER_ADDRESS] !== undefined) {
              try {
                readRotationTags(secret.name, tags);
                rotatable.push(secret.name);
              } catch (err) {
                if (!(err instanceof KvWardenError)) throw err;
                incomplete.push(secret.name);
              }
            }
          }
          seen += page.length;
          if (seen >= MAX_SECRETS) break;
        }
      } catch (err) {
        if ((err as { statusCode?: number }).statusCode !== 403) throw err;
        if (requesters.length > 0)
          return {
            ok: false,
            problem: `identity may not read secret properties, but vaults.${vault}.roles.requester names people who may request rotations here`,
            fix: 'assign Key Vault Secrets Officer on this vault (add it to rotationVaultResourceIds), or remove the requesters',
          };
        return {
          ok: true,
          detail:
            'no Key Vault data role, as least privilege wants for a watched vault (events arrive through the diagnostic setting); a vault with rotatable secrets needs Key Vault Secrets Officer (rotationVaultResourceIds)',
        };
      }
      const scanned = seen >= MAX_SECRETS ? ` (first ${seen} secrets)` : '';
      const half = incomplete.length > 0 ? `; incomplete rotation tags on ${incomplete.join(', ')}` : '';
      if (rotatable.length > 0)
        return {
          ok: true,
          detail: `${rotatable.length} secret(s) tagged for rotation${scanned}${half}; rotating them needs Key Vault Secrets Officer (write access is not probed)`,
        };
      return {
        ok: true,
        detail:
          requesters.length > 0
            ? `secret properties readable; no secret is tagged for rotation yet${scanned}${half}`
            : `secret properties readable, which watching does not need: no secret is tagged for rotation${scanned}${half}, so kv-warden needs no role on this vault`,
      };
    },
  };
}
