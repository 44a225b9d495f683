import { existsSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.js';
import { ConfigError } from '../../src/errors.js';
import {
  actionMatches,
  appSettingNames,
  azureImports,
  type BicepDeclaration,
  bicepDeclarations,
  bicepOutputs,
  bicepParams,
  declaredMethods,
  filesUnder,
  methodCalls,
  objectProperty,
  ROOT,
  read,
  stripComments,
  topLevelKeys,
} from './bicep-text.js';

/**
 * Environment variables the app reads that the App Service deliberately does NOT set, each with the reason.
 * Anything read in src/config/env.ts must be an app setting in deploy/main.bicep or be listed here.
 */
const NOT_NEEDED_IN_AZURE: Record<string, string> = {
  // Managed identity replaces every connection string; the namespace has local (SAS) auth disabled.
  SERVICEBUS_CONNECTION_STRING: 'managed identity (SERVICEBUS_NAMESPACE + AZURE_CLIENT_ID)',
  // The storage account has allowSharedKeyAccess: false; blob and table clients use the managed identity.
  AZURE_STORAGE_CONNECTION_STRING: 'managed identity (sources.blob.accountUrl)',
  AZURE_TABLES_CONNECTION_STRING: 'managed identity (store.azureTable.endpoint)',
  // A client secret for DefaultAzureCredential would defeat the managed identity.
  AZURE_CLIENT_SECRET: 'managed identity; no service-principal secret',
  // Socket Mode is for hosts without a public URL; App Service has one, so Slack uses HTTP mode.
  SLACK_APP_TOKEN: 'Slack HTTP mode on the public URL, not Socket Mode',
  // Only for GovSlack or a test fake; commercial Slack uses the SDK default. Add the setting by hand if needed.
  SLACK_API_URL: 'default https://slack.com/api/ is right unless on GovSlack',
};

/** Plausible values for the `${VAR}`s of deploy/kv-warden.azure.yaml, as the Bicep would produce them. */
const SAMPLE_SETTING_VALUES: Record<string, string> = {
  SERVICEBUS_NAMESPACE: 'kvwarden-sb-abc.servicebus.windows.net',
  KV_WARDEN_BLOB_ACCOUNT_URL: 'https://kvwardenstabc.blob.core.windows.net/',
  KV_WARDEN_TABLE_ENDPOINT: 'https://kvwardenstabc.table.core.windows.net/',
  KV_WARDEN_WORKSPACE_ID: '6b1c2d3e-4f50-4a61-8b72-9c8d7e6f5a4b',
  KV_WARDEN_WORKSPACE_RESOURCE_ID:
    '/subscriptions/00000000-0000-4000-8000-000000000001/resourceGroups/rg-kvwarden/providers/Microsoft.OperationalInsights/workspaces/kvwarden-law-abc',
  KV_WARDEN_PUBLIC_URL: 'https://kvwarden-app-abc.azurewebsites.net',
};

interface RoleDef {
  id: string;
  actions: string[];
  notActions?: string[];
  dataActions: string[];
}
interface Operation {
  package: string;
  method: string;
  local?: string;
  actions?: string[];
  role?: string;
  why?: string;
}
interface OperationsTable {
  sdkTypes: Record<string, { dts: string | string[]; types: string[] }>;
  roles: Record<string, RoleDef>;
  tooBroad: Record<string, string>;
  operations: Operation[];
  platformOperations: Array<{ role: string; actions: string[]; when: string; what: string }>;
}

const table = JSON.parse(read('deploy/azure-operations.json')) as OperationsTable;
const bicepFiles = ['deploy/main.bicep', ...filesUnder('deploy/modules', '.bicep')];
const declarations: BicepDeclaration[] = bicepFiles.flatMap((f) => bicepDeclarations(f));
const mainBicep = read('deploy/main.bicep');
const bicepCode = bicepFiles.map((f) => stripComments(read(f))).join('\n');

function declaration(typePrefix: string, where: (d: BicepDeclaration) => boolean = () => true) {
  return declarations.filter((d) => d.type.startsWith(`${typePrefix}@`) && !d.existing && where(d));
}

const site = declaration('Microsoft.Web/sites')[0];
const settings = site ? appSettingNames(site.body) : [];

/** Names the app reads from the environment, taken from the source (not a copy). */
function envNamesReadByApp(): string[] {
  const envTs = stripComments(read('src/config/env.ts'));
  const names = new Set<string>();
  for (const m of envTs.matchAll(/\benv\.([A-Z][A-Z0-9_]*)\b/g)) names.add(m[1]!);
  for (const m of envTs.matchAll(/\benv\[\s*'([A-Z][A-Z0-9_]*)'\s*\]/g)) names.add(m[1]!);
  const secretList = /SECRET_ENV_NAMES\s*=\s*\[([^\]]*)\]/.exec(envTs)?.[1] ?? '';
  for (const m of secretList.matchAll(/'([A-Z][A-Z0-9_]*)'/g)) names.add(m[1]!);
  // The config file location is read by resolveConfigPath in load.ts.
  for (const m of stripComments(read('src/config/load.ts')).matchAll(/\benv\.([A-Z][A-Z0-9_]*)\b/g))
    names.add(m[1]!);
  return [...names].sort();
}

function yamlVars(): string[] {
  const yaml = read('deploy/kv-warden.azure.yaml')
    .split('\n')
    .map((l) => l.replace(/(^|\s)#.*$/, ''))
    .join('\n');
  return [...new Set([...yaml.matchAll(/\$\{([A-Z_][A-Z0-9_]*)\}/g)].map((m) => m[1]!))].sort();
}

function sampleEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const name of yamlVars()) {
    const value = SAMPLE_SETTING_VALUES[name];
    if (value === undefined) throw new Error(`add a sample value for \${${name}} to SAMPLE_SETTING_VALUES`);
    env[name] = value;
  }
  return env;
}

describe('deploy: app settings cover what the app reads', () => {
  it('finds the App Service and its app settings', () => {
    expect(site, 'main.bicep declares a Microsoft.Web/sites resource').toBeDefined();
    expect(settings.length).toBeGreaterThan(5);
  });

  it('extracts the environment variable names from src/config/env.ts', () => {
    const names = envNamesReadByApp();
    // Proves the extraction works on the real file (these are read there today).
    expect(names).toEqual(
      expect.arrayContaining(['PORT', 'SLACK_BOT_TOKEN', 'CLIENT_ID', 'SERVICEBUS_NAMESPACE']),
    );
  });

  it('sets every variable the app reads, or allow-lists it with a reason', () => {
    const missing = envNamesReadByApp().filter((n) => !settings.includes(n) && !(n in NOT_NEEDED_IN_AZURE));
    expect(
      missing,
      'set these in main.bicep appSettings or add them to NOT_NEEDED_IN_AZURE with why',
    ).toEqual([]);
  });

  it('allow-lists only variables the app really reads and the template does not set', () => {
    const read = envNamesReadByApp();
    for (const name of Object.keys(NOT_NEEDED_IN_AZURE)) {
      expect(read, `${name} is allow-listed but not read by the app`).toContain(name);
      expect(settings, `${name} is allow-listed but set in main.bicep`).not.toContain(name);
    }
  });

  it('gives DefaultAzureCredential the user-assigned identity and never a client secret', () => {
    expect(site!.body).toMatch(/name:\s*'AZURE_CLIENT_ID',\s*value:\s*identity\.properties\.clientId/);
    expect(settings).not.toContain('AZURE_CLIENT_SECRET');
    expect(site!.body).toMatch(/type:\s*'UserAssigned'/);
  });

  it('points KV_WARDEN_CONFIG and the start command at the Azure configuration file that exists', () => {
    const config = /name:\s*'KV_WARDEN_CONFIG',\s*value:\s*'([^']+)'/.exec(site!.body)?.[1];
    expect(config).toBe('deploy/kv-warden.azure.yaml');
    expect(existsSync(path.join(ROOT, config!))).toBe(true);
    const command = /appCommandLine:\s*'([^']+)'/.exec(site!.body)?.[1] ?? '';
    const script = /^sh\s+(\S+)$/.exec(command)?.[1];
    expect(script, 'the start command runs a script in the repository').toBeDefined();
    const text = read(script!).replace(/^\s*#.*$/gm, '');
    expect(text).toMatch(/^exec node bin\/kv-warden\.js serve --config "\$CONFIG"$/m);
    expect(text).toMatch(/\$\{KV_WARDEN_CONFIG:-deploy\/kv-warden\.azure\.yaml\}/);
  });

  it('runs the blob forwarder next to serve exactly when the Azure config sends blobs to Service Bus', () => {
    const config = loadConfig({ file: path.join(ROOT, 'deploy/kv-warden.azure.yaml'), env: sampleEnv() });
    const command = /appCommandLine:\s*'([^']+)'/.exec(site!.body)?.[1] ?? '';
    const script = read(/^sh\s+(\S+)$/.exec(command)?.[1] ?? '').replace(/^\s*#.*$/gm, '');
    const runsForwarder = /node bin\/kv-warden\.js forward --config "\$CONFIG"/.test(script);
    expect(runsForwarder).toBe(Boolean(config.sources.blob?.sendTo));
    // The forwarder is restarted when it exits, and serve is the foreground process App Service watches.
    expect(script).toMatch(/while true; do[\s\S]*forward[\s\S]*done\s*\)\s*&/);
  });

  it('keeps secrets out of plain app settings: chat secrets are Key Vault references', () => {
    for (const secret of ['CLIENT_SECRET', 'SLACK_BOT_TOKEN', 'SLACK_SIGNING_SECRET']) {
      const m = new RegExp(`name:\\s*'${secret}',\\s*value:\\s*([^}]*)\\}`).exec(site!.body);
      expect(m?.[1], `${secret} setting`).toContain('@Microsoft.KeyVault(SecretUri=');
    }
  });
});

describe('deploy: kv-warden.azure.yaml', () => {
  it('uses only interpolated variables that the App Service sets', () => {
    const vars = yamlVars();
    expect(vars.length).toBeGreaterThan(3);
    expect(vars.filter((v) => !settings.includes(v))).toEqual([]);
  });

  it('loads with loadConfig when the app settings are present', () => {
    const config = loadConfig({ file: path.join(ROOT, 'deploy/kv-warden.azure.yaml'), env: sampleEnv() });
    expect(config.embedded).toBe(false);
    expect(config.sources.serviceBus?.namespace).toBe(SAMPLE_SETTING_VALUES.SERVICEBUS_NAMESPACE);
    expect('azureTable' in config.store).toBe(true);
    expect(config.queries.workspaceId).toBe(SAMPLE_SETTING_VALUES.KV_WARDEN_WORKSPACE_ID);
    expect(config.server.publicUrl).toBe(SAMPLE_SETTING_VALUES.KV_WARDEN_PUBLIC_URL);
  });

  it.each(yamlVars())('fails naming the key when %s is missing', (name) => {
    const env = sampleEnv();
    delete env[name];
    let error: unknown;
    try {
      loadConfig({ file: path.join(ROOT, 'deploy/kv-warden.azure.yaml'), env });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).keyPath).not.toBe('');
    expect((error as Error).message).toContain(name);
  });

  it('matches the queues declared in Bicep (sessions on the audit queue, none on the Event Grid queue)', () => {
    const config = loadConfig({ file: path.join(ROOT, 'deploy/kv-warden.azure.yaml'), env: sampleEnv() });
    const queues = declaration('Microsoft.ServiceBus/namespaces/queues');
    const queueName = (d: BicepDeclaration) => {
      const literal = /\bname:\s*'([^']+)'/.exec(d.body)?.[1];
      if (literal) return literal;
      const variable = /\bname:\s*(\w+)/.exec(d.body)?.[1] ?? '';
      return new RegExp(`var\\s+${variable}\\s*=\\s*'([^']+)'`).exec(mainBicep)?.[1];
    };
    for (const entity of config.sources.serviceBus!.entities) {
      expect('queue' in entity).toBe(true);
      const name = (entity as { queue: string }).queue;
      const q = queues.find((d) => queueName(d) === name);
      expect(q, `queue ${name} is declared in main.bicep`).toBeDefined();
      expect(/requiresSession:\s*true/.test(q!.body)).toBe(entity.sessions);
    }
    expect(config.sources.blob?.sendTo).toBe('kv-audit');
  });
});

describe('deploy: every Azure operation the code performs is covered by an assigned role', () => {
  // The SDK surface: method names declared on the client types each package exports.
  const sdkMethods = new Map<string, Set<string>>();
  for (const [pkg, spec] of Object.entries(table.sdkTypes)) {
    const names = new Set<string>();
    for (const dts of [spec.dts].flat()) {
      const declared = declaredMethods(read(`node_modules/${pkg}/${dts}`), spec.types);
      for (const set of declared.values()) for (const n of set) names.add(n);
    }
    sdkMethods.set(pkg, names);
  }
  // The calls: in every src file that imports an SDK package, calls whose name that package's clients declare.
  const calls: Array<{ pkg: string; method: string; at: string }> = [];
  for (const file of filesUnder('src', '.ts')) {
    const source = read(file);
    for (const pkg of azureImports(source)) {
      const methods = sdkMethods.get(pkg);
      if (!methods) continue;
      for (const call of methodCalls(source)) {
        if (methods.has(call.name)) calls.push({ pkg, method: call.name, at: `${file}:${call.line}` });
      }
    }
  }
  const key = (pkg: string, method: string) => `${pkg} ${method}`;
  const listed = new Map(table.operations.map((o) => [key(o.package, o.method), o]));

  it('reads the client method names from the installed SDK declarations', () => {
    for (const [pkg, spec] of Object.entries(table.sdkTypes)) {
      for (const dts of [spec.dts].flat()) {
        const declared = declaredMethods(read(`node_modules/${pkg}/${dts}`), spec.types);
        expect(declared.size, `${pkg} ${dts} declares some of ${spec.types.join(', ')}`).toBeGreaterThan(0);
      }
    }
    expect(sdkMethods.get('@azure/service-bus')).toContain('completeMessage');
    expect(sdkMethods.get('@azure/arm-storage')).toContain('regenerateKey');
    expect(sdkMethods.get('@azure/data-tables')).toContain('submitTransaction');
    expect(sdkMethods.get('@azure/keyvault-secrets')).toContain('setSecret');
  });

  it('finds the SDK calls in src (the scan sees the calls the rotation and intake depend on)', () => {
    const found = new Set(calls.map((c) => key(c.pkg, c.method)));
    for (const expected of [
      key('@azure/arm-storage', 'regenerateKey'),
      key('@azure/keyvault-secrets', 'setSecret'),
      key('@azure/service-bus', 'completeMessage'),
      key('@azure/data-tables', 'listEntities'),
      key('@azure/monitor-query-logs', 'queryWorkspace'),
      key('@azure/storage-blob', 'download'),
    ]) {
      expect(found, expected).toContain(expected);
    }
  });

  it('lists every SDK call of src in deploy/azure-operations.json', () => {
    const unlisted = calls
      .filter((c) => !listed.has(key(c.pkg, c.method)))
      .map((c) => `${c.at} ${c.pkg} .${c.method}()`);
    expect(
      unlisted,
      'add these calls (action + role, or local with why) to deploy/azure-operations.json',
    ).toEqual([]);
  });

  it('lists no call that src no longer makes', () => {
    const made = new Set(calls.map((c) => key(c.pkg, c.method)));
    const stale = table.operations.map((o) => key(o.package, o.method)).filter((k) => !made.has(k));
    expect(stale, 'remove these from deploy/azure-operations.json').toEqual([]);
  });

  it('maps each operation that makes a request to actions its role grants', () => {
    for (const op of table.operations) {
      const label = key(op.package, op.method);
      if (op.local !== undefined) {
        expect(op.actions, `${label} is local and needs no action`).toBeUndefined();
        continue;
      }
      expect(op.role, `${label} names a role`).toBeDefined();
      expect(op.why, `${label} says why`).toBeTruthy();
      const role = table.roles[op.role!];
      expect(role, `${label}: role ${op.role} is described in the table`).toBeDefined();
      expect(op.actions?.length, `${label} lists its actions`).toBeGreaterThan(0);
      for (const action of op.actions!) {
        const granted = [...role!.actions, ...role!.dataActions].some((p) => actionMatches(p, action));
        const denied = (role!.notActions ?? []).some((p) => actionMatches(p, action));
        expect(granted && !denied, `${op.role} grants ${action} (${label})`).toBe(true);
      }
    }
    for (const op of table.platformOperations) {
      const role = table.roles[op.role]!;
      for (const action of op.actions)
        expect([...role.actions, ...role.dataActions].some((p) => actionMatches(p, action))).toBe(true);
    }
  });

  it('assigns every role the operations need in the Bicep', () => {
    const assignments = declaration('Microsoft.Authorization/roleAssignments');
    expect(assignments.length).toBeGreaterThan(0);
    const needed = new Set(table.operations.filter((o) => o.role).map((o) => o.role!));
    for (const p of table.platformOperations) if (bicepCode.includes(p.when)) needed.add(p.role);
    for (const name of needed) {
      const id = table.roles[name]!.id;
      const assigned = bicepFiles.some((f) => {
        const code = stripComments(read(f));
        return code.includes(`'${id}'`) && /'Microsoft\.Authorization\/roleAssignments@/.test(code);
      });
      expect(assigned, `${name} (${id}) is assigned in deploy/*.bicep`).toBe(true);
    }
  });

  it('uses no role GUID outside the table and none of the broad roles', () => {
    const known = new Set(Object.values(table.roles).map((r) => r.id));
    const guids = [
      ...bicepCode.matchAll(/'([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})'/gi),
    ].map((m) => m[1]!.toLowerCase());
    expect(guids.length).toBeGreaterThan(5);
    expect(guids.filter((g) => !known.has(g))).toEqual([]);
    for (const [name, id] of Object.entries(table.tooBroad)) {
      expect(bicepCode.toLowerCase(), `${name} must not be assigned`).not.toContain(id);
    }
  });

  it('explains every role assignment in a comment right above it', () => {
    for (const d of declaration('Microsoft.Authorization/roleAssignments')) {
      expect(
        d.comment.split(/\s+/).length,
        `${d.file}:${d.line} ${d.symbol} needs a comment saying why`,
      ).toBeGreaterThanOrEqual(6);
    }
    // Modules that assign roles are explained where main.bicep calls them.
    for (const m of declarations.filter((d) => d.kind === 'module' && /role/.test(d.type))) {
      expect(m.comment.split(/\s+/).length, `${m.file}:${m.line} ${m.symbol}`).toBeGreaterThanOrEqual(6);
    }
  });

  it('scopes role assignments to single resources, never a resource group or subscription', () => {
    for (const d of declaration('Microsoft.Authorization/roleAssignments')) {
      expect(d.body, `${d.file}:${d.line} ${d.symbol} has a resource scope`).toMatch(/\bscope:\s*\w+\s*$/m);
      expect(d.body).not.toMatch(/scope:\s*(resourceGroup|subscription)\(/);
    }
  });

  it('assigns Secrets Officer and Key Operator only through the per-resource rotation lists', () => {
    const officer = table.roles['Key Vault Secrets Officer']!.id;
    const keyOperator = table.roles['Storage Account Key Operator Service Role']!.id;
    expect(stripComments(mainBicep)).not.toContain(officer);
    expect(stripComments(mainBicep)).not.toContain(keyOperator);
    expect(mainBicep).toMatch(
      /module rotationVaults '[^']+' = \[for \(\w+, i\) in rotationVaultResourceIds:/,
    );
    expect(mainBicep).toMatch(
      /module rotationAccounts '[^']+' = \[for \(\w+, i\) in rotationStorageAccountIds:/,
    );
  });
});

describe('deploy: the pieces issue 8 lists are declared', () => {
  it('runs kv-warden serve on App Service Linux with Node 22 LTS and a user-assigned identity', () => {
    expect(declaration('Microsoft.ManagedIdentity/userAssignedIdentities')).toHaveLength(1);
    expect(site!.body).toMatch(/linuxFxVersion:\s*'NODE\|22-lts'/);
    expect(declaration('Microsoft.Web/serverfarms')[0]?.body).toMatch(/reserved:\s*true/);
    expect(site!.body).toMatch(/healthCheckPath:\s*'\/healthz'/);
    expect(read('src/app/health-routes.ts')).toContain("'/healthz'");
  });

  it('declares Service Bus with a session, duplicate-detecting, dead-lettering audit queue and a plain Event Grid queue', () => {
    const ns = declaration('Microsoft.ServiceBus/namespaces');
    expect(ns).toHaveLength(1);
    expect(ns[0]!.body).toMatch(/disableLocalAuth:\s*true/);
    const queues = declaration('Microsoft.ServiceBus/namespaces/queues');
    const audit = queues.find((q) => /requiresSession:\s*true/.test(q.body));
    const plain = queues.find((q) => /requiresSession:\s*false/.test(q.body));
    expect(audit?.body).toMatch(/requiresDuplicateDetection:\s*true/);
    expect(audit?.body).toMatch(/duplicateDetectionHistoryTimeWindow:\s*'PT\d+[HM]'/);
    expect(audit?.body).toMatch(/deadLetteringOnMessageExpiration:\s*true/);
    expect(audit?.body).toMatch(/maxDeliveryCount:\s*\d+/);
    expect(plain?.body).toMatch(/deadLetteringOnMessageExpiration:\s*true/);
  });

  it('declares the storage account (no shared keys) and the Log Analytics workspace', () => {
    const storage = declaration('Microsoft.Storage/storageAccounts');
    expect(storage).toHaveLength(1);
    expect(storage[0]!.body).toMatch(/allowSharedKeyAccess:\s*false/);
    expect(storage[0]!.body).toMatch(/allowBlobPublicAccess:\s*false/);
    expect(declaration('Microsoft.OperationalInsights/workspaces')).toHaveLength(1);
  });

  it('sends AuditEvent to storage and the workspace from every listed vault', () => {
    const diag = declaration('Microsoft.Insights/diagnosticSettings', (d) => /'AuditEvent'/.test(d.body));
    expect(diag).toHaveLength(1);
    expect(diag[0]!.file).not.toBe('deploy/main.bicep');
    expect(diag[0]!.body).toMatch(/category:\s*'AuditEvent',\s*enabled:\s*true/);
    expect(diag[0]!.body).toMatch(/storageAccountId:\s*storageAccountId/);
    expect(diag[0]!.body).toMatch(/workspaceId:\s*workspaceId/);
    const moduleFile = path.basename(diag[0]!.file);
    expect(mainBicep).toMatch(
      new RegExp(`module \\w+ 'modules/${moduleFile}' = \\[for \\(\\w+, i\\) in vaultResourceIds:`),
    );
  });

  it('subscribes every listed vault to the Event Grid queue, delivered with the topic identity', () => {
    const topics = declaration('Microsoft.EventGrid/systemTopics');
    expect(topics).toHaveLength(1);
    expect(topics[0]!.body).toMatch(/topicType:\s*'Microsoft\.KeyVault\.vaults'/);
    expect(topics[0]!.body).toMatch(/type:\s*'SystemAssigned'/);
    const subs = declaration('Microsoft.EventGrid/systemTopics/eventSubscriptions');
    expect(subs).toHaveLength(1);
    expect(subs[0]!.body).toMatch(/endpointType:\s*'ServiceBusQueue'/);
    expect(subs[0]!.body).toMatch(/deliveryWithResourceIdentity/);
    const subFile = path.basename(subs[0]!.file);
    const call = declarations.find((d) => d.kind === 'module' && d.type === `modules/${subFile}`);
    expect(call?.body).toMatch(/eventGridQueueId:\s*eventGridQueue\.id/);
    expect(mainBicep).toMatch(
      new RegExp(`module \\w+ 'modules/${subFile}' = \\[for \\(\\w+, i\\) in vaultResourceIds:`),
    );
    const egQueue = declarations.find((d) => d.symbol === 'eventGridQueue');
    expect(egQueue?.body).toMatch(/requiresSession:\s*false/);
  });

  it('declares the Azure Bot with the Teams channel on the Teams route', () => {
    const bot = declaration('Microsoft.BotService/botServices');
    expect(bot).toHaveLength(1);
    expect(bot[0]!.body).toMatch(/endpoint:\s*'[^']*\/api\/messages'/);
    const channel = declaration('Microsoft.BotService/botServices/channels');
    expect(channel[0]?.body).toMatch(/channelName:\s*'MsTeamsChannel'/);
    expect(read('src/chat/teams/teams-routes.ts')).toContain('/api/messages');
  });

  it('has a parameters example that names every required parameter and only declared ones', () => {
    const params = bicepParams('deploy/main.bicep');
    const example = JSON.parse(read('deploy/main.parameters.example.json')) as {
      parameters: Record<string, unknown>;
    };
    const names = params.map((p) => p.name);
    for (const p of params.filter((q) => !q.hasDefault))
      expect(Object.keys(example.parameters)).toContain(p.name);
    for (const k of Object.keys(example.parameters)) expect(names).toContain(k);
  });
});

describe('deploy: the Bicep hangs together (what a compiler would catch first)', () => {
  const modules = declarations.filter((d) => d.kind === 'module' && d.file === 'deploy/main.bicep');

  it('passes every module exactly its declared parameters, all required ones included', () => {
    expect(modules.length).toBeGreaterThanOrEqual(5);
    for (const m of modules) {
      const file = `deploy/${m.type}`;
      expect(existsSync(path.join(ROOT, file)), `${file} exists`).toBe(true);
      const declared = bicepParams(file);
      const passed = topLevelKeys(objectProperty(m.body, 'params') ?? '{}');
      for (const p of passed)
        expect(
          declared.map((d) => d.name),
          `${m.symbol} passes ${p} to ${file}`,
        ).toContain(p);
      for (const d of declared.filter((x) => !x.hasDefault))
        expect(passed, `${m.symbol} must pass ${d.name} to ${file}`).toContain(d.name);
    }
  });

  it('reads only outputs that the modules declare', () => {
    const code = stripComments(mainBicep);
    const uses = [...code.matchAll(/\b(\w+)(?:\[\w+\])?\.outputs\.(\w+)/g)];
    expect(uses.length).toBeGreaterThan(0);
    for (const [, symbol, output] of uses) {
      const m = modules.find((d) => d.symbol === symbol);
      expect(m, `module ${symbol}`).toBeDefined();
      expect(bicepOutputs(`deploy/${m!.type}`), `${m!.type} declares output ${output}`).toContain(output);
    }
  });

  it('uses every parameter it declares and references only declared symbols in scopes and parents', () => {
    for (const file of bicepFiles) {
      const code = stripComments(read(file));
      for (const p of bicepParams(file)) {
        const uses = code.match(new RegExp(`\\b${p.name}\\b`, 'g'))?.length ?? 0;
        expect(uses, `${file}: param ${p.name} is used`).toBeGreaterThan(1);
      }
      const symbols = new Set(declarations.filter((d) => d.file === file).map((d) => d.symbol));
      for (const m of code.matchAll(/^\s*(?:scope|parent):\s*(\w+)\s*$/gm)) {
        expect(symbols, `${file}: ${m[0].trim()} names a declared resource`).toContain(m[1]);
      }
    }
  });

  it('declares every resource type with an API version', () => {
    for (const d of declarations.filter((x) => x.kind === 'resource')) {
      expect(d.type, `${d.file}:${d.line}`).toMatch(
        /^Microsoft\.[A-Za-z]+\/[\w/]+@\d{4}-\d{2}-\d{2}(-preview)?$/,
      );
    }
  });
});
