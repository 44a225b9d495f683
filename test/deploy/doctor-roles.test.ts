import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.js';
import { ROLE_IDS, requiredRoles } from '../../src/doctor/roles.js';
import { filesUnder, ROOT, read, stripComments } from './bicep-text.js';

interface OperationsTable {
  roles: Record<string, { id: string }>;
  operations: Array<{ role?: string }>;
}

const table = JSON.parse(read('deploy/azure-operations.json')) as OperationsTable;
const bicep = ['deploy/main.bicep', ...filesUnder('deploy/modules', '.bicep')]
  .map((f) => stripComments(read(f)))
  .join('\n');

/** The deployed configuration, with a vault listed (as a platform team would add). */
function azureConfig() {
  const env = {
    SERVICEBUS_NAMESPACE: 'kvwarden-sb.servicebus.windows.net',
    KV_WARDEN_BLOB_ACCOUNT_URL: 'https://kvwardenst.blob.core.windows.net/',
    KV_WARDEN_TABLE_ENDPOINT: 'https://kvwardenst.table.core.windows.net/',
    KV_WARDEN_WORKSPACE_ID: '6b1c2d3e-4f50-4a61-8b72-9c8d7e6f5a4b',
    KV_WARDEN_WORKSPACE_RESOURCE_ID:
      '/subscriptions/00000000-0000-4000-8000-000000000001/resourceGroups/rg/providers/Microsoft.OperationalInsights/workspaces/law',
    KV_WARDEN_PUBLIC_URL: 'https://kvwarden-app.azurewebsites.net',
  };
  const text = read('deploy/kv-warden.azure.yaml').replace(
    /^vaults: \{\}.*$/m,
    'vaults:\n  kv-prod-payments: {}\n  kv-prod-identity: {}',
  );
  return loadConfig({ text, env, file: path.join(ROOT, 'deploy/kv-warden.azure.yaml') });
}

describe('kv-warden doctor role list agrees with the Bicep', () => {
  it('uses the same role ids as deploy/azure-operations.json', () => {
    for (const [name, id] of Object.entries(ROLE_IDS)) {
      expect(table.roles[name]?.id, name).toBe(id);
    }
  });

  it('lists for the deployed configuration exactly the roles the code needs, each assigned in the Bicep', () => {
    const needs = requiredRoles(azureConfig());
    const listed = new Set(needs.map((n) => n.role));
    const operationRoles = new Set(table.operations.flatMap((o) => (o.role ? [o.role] : [])));
    expect([...listed].sort()).toEqual([...operationRoles].sort());
    for (const n of needs) {
      expect(n.roleId).toBe(ROLE_IDS[n.role]);
      expect(bicep, `${n.role} is assigned in deploy/*.bicep`).toContain(`'${n.roleId}'`);
      expect(n.why.length).toBeGreaterThan(10);
    }
  });

  it('names the configured vaults and says Secrets Officer belongs only on rotation vaults', () => {
    const officer = requiredRoles(azureConfig()).filter((n) => n.role === 'Key Vault Secrets Officer');
    expect(officer).toHaveLength(1);
    expect(officer[0]!.scope).toContain('kv-prod-payments');
    expect(officer[0]!.scope).toMatch(/rotatable/);
  });

  it('asks for Data Sender when Service Bus is configured, because replay-dlq re-sends', () => {
    const config = loadConfig({
      text: 'sources:\n  serviceBus:\n    namespace: x.servicebus.windows.net\n    entities: [{ queue: kv-audit, sessions: true }]\n',
      env: {},
    });
    const roles = requiredRoles(config).map((n) => n.role);
    expect(roles).toContain('Azure Service Bus Data Receiver');
    expect(roles).toContain('Azure Service Bus Data Sender');
    expect(roles).not.toContain('Storage Blob Data Reader');
    expect(roles).not.toContain('Log Analytics Reader');
  });
});
