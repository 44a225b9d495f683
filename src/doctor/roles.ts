import type { Config } from '../config/load.js';

/** Built-in Azure role definition ids (the same GUIDs deploy/main.bicep and its modules assign). */
export const ROLE_IDS = {
  'Azure Service Bus Data Receiver': '4f6d3b9b-027b-4f4c-9142-0e5a2a2247e0',
  'Azure Service Bus Data Sender': '69a216fc-b8fb-44d8-bc22-1f3c2cd27a39',
  'Storage Blob Data Reader': '2a2b9908-6ea1-4ae2-8e65-a410df84e7d1',
  'Storage Table Data Contributor': '0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3',
  'Log Analytics Reader': '73c42c96-874c-492b-b04d-ab87d138a893',
  'Key Vault Secrets Officer': 'b86a8fe4-44ce-4948-aee5-eccb2c155cd7',
  'Storage Account Key Operator Service Role': '81a9662b-bebf-436f-a333-f67b29880f12',
} as const;

export type RoleName = keyof typeof ROLE_IDS;

/** One least-privilege role assignment the managed identity needs, with why. */
export interface RoleNeed {
  readonly role: RoleName;
  /** Built-in role definition id. */
  readonly roleId: string;
  readonly scope: string;
  readonly why: string;
}

/**
 * The role list for what this configuration uses (mirrors deploy/main.bicep; test/deploy checks they agree).
 * Everything is scoped to one resource; nothing is granted on a resource group or subscription.
 */
export function requiredRoles(config: Config): RoleNeed[] {
  const out: RoleNeed[] = [];
  const need = (role: RoleName, scope: string, why: string) =>
    out.push({ role, roleId: ROLE_IDS[role], scope, why });
  if (config.sources.serviceBus) {
    need(
      'Azure Service Bus Data Receiver',
      'the Service Bus namespace',
      'consume the audit and Event Grid queues; replay-dlq receives dead letters',
    );
    need(
      'Azure Service Bus Data Sender',
      'the Service Bus namespace',
      `replay-dlq re-sends dead letters${config.sources.blob?.sendTo ? '; the blob forwarder sends audit batches' : ''}; doctor probes session queues with a send link`,
    );
  } else if (config.sources.blob?.sendTo) {
    need(
      'Azure Service Bus Data Sender',
      'the Service Bus namespace',
      'the blob forwarder sends audit batches',
    );
  }
  if (config.sources.blob) {
    need(
      'Storage Blob Data Reader',
      'the diagnostic-log storage account',
      `list and read ${config.sources.blob.container} (never write)`,
    );
  }
  if ('azureTable' in config.store) {
    need(
      'Storage Table Data Contributor',
      'the state storage account',
      'alerts, card locations, checkpoints, rotations (ETag CAS)',
    );
  }
  if (config.queries.workspaceId) {
    need(
      'Log Analytics Reader',
      `workspace ${config.queries.workspaceId}`,
      'run the canned /kv queries (read only)',
    );
  }
  const vaults = Object.keys(config.vaults);
  need(
    'Key Vault Secrets Officer',
    `each vault holding rotatable storage-key secrets, and no other${vaults.length > 0 ? ` (configured vaults: ${vaults.join(', ')})` : ''}`,
    'read secret versions and tags, write the new version, verify it',
  );
  need(
    'Storage Account Key Operator Service Role',
    'each storage account named by a ProviderAddress tag, and no other',
    'listKeys and regenerateKey of the alternate key',
  );
  return out;
}
