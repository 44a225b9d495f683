import type { Config } from '../config/load.js';

/** One least-privilege role assignment the managed identity needs, with why. */
export interface RoleNeed {
  readonly role: string;
  readonly scope: string;
  readonly why: string;
}

/** The role list for what this configuration uses (mirrors deploy/main.bicep). */
export function requiredRoles(config: Config): RoleNeed[] {
  const out: RoleNeed[] = [];
  if (config.sources.serviceBus) {
    out.push({
      role: 'Azure Service Bus Data Receiver',
      scope: 'the Service Bus namespace',
      why: 'consume audit and Event Grid queues',
    });
  }
  if (config.sources.blob) {
    out.push({
      role: 'Storage Blob Data Reader',
      scope: 'the diagnostic-log storage account',
      why: 'read insights-logs-auditevent',
    });
    if (config.sources.blob.sendTo) {
      out.push({
        role: 'Azure Service Bus Data Sender',
        scope: 'the Service Bus namespace',
        why: 'forward audit batches',
      });
    }
  }
  if ('azureTable' in config.store) {
    out.push({
      role: 'Storage Table Data Contributor',
      scope: 'the state storage account',
      why: 'alerts, checkpoints, rotations (ETag CAS)',
    });
  }
  if (config.queries.workspaceId) {
    out.push({
      role: 'Log Analytics Reader',
      scope: `workspace ${config.queries.workspaceId}`,
      why: 'run the canned /kv queries',
    });
  }
  for (const vault of Object.keys(config.vaults)) {
    out.push({
      role: 'Key Vault Secrets Officer',
      scope: `vault ${vault} (only if it holds rotatable storage-key secrets)`,
      why: 'read secret tags and write the new version during rotation',
    });
  }
  out.push({
    role: 'Storage Account Key Operator Service Role',
    scope: 'each storage account named by a ProviderAddress tag',
    why: 'listKeys and regenerateKey of the alternate key',
  });
  return out;
}
