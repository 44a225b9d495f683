import type { TokenCredential } from '@azure/core-auth';
import type { CloudEndpoints } from '../azure/cloud-endpoints.js';
import type { Config } from '../config/load.js';
import type { DoctorCheck } from './check.js';
import { type KeyVaultProbeOptions, keyVaultCheck } from './key-vault-check.js';

/** Reachability and permission probes for every Azure dependency the configuration names. */
export function azureChecks(
  config: Config,
  endpoints: CloudEndpoints,
  credential: () => Promise<TokenCredential>,
  keyVault: KeyVaultProbeOptions = {},
): DoctorCheck[] {
  const checks: DoctorCheck[] = [];
  const store = config.store;
  if ('azureTable' in store) {
    checks.push({
      name: 'store: Azure Table Storage',
      async run() {
        const { TableServiceClient } = await import('@azure/data-tables');
        const conn = config.env.tables.connectionString ?? config.env.storage.connectionString;
        const client = store.azureTable.endpoint
          ? new TableServiceClient(store.azureTable.endpoint, await credential())
          : conn
            ? TableServiceClient.fromConnectionString(conn, {
                allowInsecureConnection: conn.includes('http://'),
              })
            : undefined;
        if (!client) {
          return {
            ok: false,
            problem: 'no endpoint and no AZURE_TABLES_CONNECTION_STRING',
            fix: 'set store.azureTable.endpoint',
          };
        }
        const page = await client.listTables().byPage({ maxPageSize: 5 }).next();
        const names = (page.value ?? []).map((t: { name?: string }) => t.name).filter(Boolean);
        return { ok: true, detail: `reachable; ${names.length} table(s) visible` };
      },
    });
  }
  const blob = config.sources.blob;
  if (blob) {
    checks.push({
      name: `source: blob container ${blob.container}`,
      async run() {
        const { BlobServiceClient } = await import('@azure/storage-blob');
        const conn = config.env.storage.connectionString;
        const service = blob.accountUrl
          ? new BlobServiceClient(blob.accountUrl, await credential())
          : conn
            ? BlobServiceClient.fromConnectionString(conn)
            : undefined;
        if (!service) {
          return {
            ok: false,
            problem: 'no accountUrl and no AZURE_STORAGE_CONNECTION_STRING',
            fix: 'set sources.blob.accountUrl',
          };
        }
        const container = service.getContainerClient(blob.container);
        if (!(await container.exists())) {
          return {
            ok: false,
            problem: `container ${blob.container} does not exist`,
            fix: 'enable the vault diagnostic setting (AuditEvent → this storage account)',
          };
        }
        await container.listBlobsFlat().byPage({ maxPageSize: 1 }).next();
        return { ok: true, detail: 'container readable' };
      },
    });
  }
  const sb = config.sources.serviceBus;
  if (sb) {
    for (const entity of sb.entities) {
      const name = 'queue' in entity ? entity.queue : entity.topic;
      checks.push({
        name: `source: Service Bus ${'queue' in entity ? 'queue' : 'topic'} ${name}`,
        async run() {
          const { ServiceBusClient } = await import('@azure/service-bus');
          const conn = config.env.serviceBus.connectionString;
          const ns = sb.namespace ?? config.env.serviceBus.namespace;
          const client = conn
            ? new ServiceBusClient(conn)
            : ns
              ? new ServiceBusClient(ns, await credential())
              : undefined;
          if (!client) return { ok: false, problem: 'no SERVICEBUS_CONNECTION_STRING and no namespace' };
          try {
            if ('queue' in entity && !entity.sessions) {
              const receiver = client.createReceiver(entity.queue, { receiveMode: 'peekLock' });
              await receiver.peekMessages(1);
              await receiver.close();
              return { ok: true, detail: 'reachable; peek allowed' };
            }
            // Session entities cannot be peeked without locking a session; opening a link proves auth + existence.
            const sender = client.createSender(name);
            await sender.createMessageBatch();
            await sender.close();
            return { ok: true, detail: 'reachable; link opened' };
          } finally {
            await client.close();
          }
        },
      });
    }
  }
  if (config.queries.workspaceId) {
    const workspaceId = config.queries.workspaceId;
    checks.push({
      name: `queries: Log Analytics workspace ${workspaceId}`,
      async run() {
        const { LogsQueryClient } = await import('@azure/monitor-query-logs');
        const client = new LogsQueryClient(await credential(), { endpoint: endpoints.logAnalytics });
        const result = await client.queryWorkspace(workspaceId, 'print ok = 1', { duration: 'PT5M' });
        return result.status === 'Success'
          ? { ok: true, detail: 'query allowed' }
          : { ok: false, problem: `query returned ${result.status}` };
      },
    });
  }
  if (!config.embedded) {
    for (const vault of Object.keys(config.vaults))
      checks.push(keyVaultCheck(config, vault, endpoints, credential, keyVault));
  }
  return checks;
}
