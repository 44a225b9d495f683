/**
 * Writes the bundled demo data: three days of ordinary Key Vault activity on three vaults plus a handful
 * of attacks, as raw AuditEvent records in the real blob layout
 * (`audit-logs/resourceId=/SUBSCRIPTIONS/…/VAULTS/<NAME>/y=/m=/d=/h=/m=00/PT1H.json`, JSON Lines).
 * Deterministic (seeded PRNG): running it again produces byte-identical files.
 *
 * The attacks (2025-06-03, UTC) and the rules they fire:
 *   10:20 bob adds IP rule 203.0.113.66/32 on kv-prod-payments               → firewall-ip-added
 *   11:02 bob grants himself an access policy on kv-prod-payments            → access-policy-added
 *   11:05 bob deletes, 11:06 purges secret stripe-api-key                     → destructive-operation
 *   11:08 bob removes the policy again                                       → access-granted-then-revoked
 *   13:30 a scanner at 198.18.7.23 gets 24 × 403 on kv-prod-identity          → failed-request-burst
 *   15:40 reporting-app lists, then reads 14 secrets on kv-prod-payments      → bulk-enumeration, unexpected-app
 *   17:10 eve switches kv-prod-identity's firewall to Allow in the portal     → firewall-opened
 */
import {
  DEMO_CALLERS,
  DEMO_DAYS,
  DEMO_START,
  DEMO_SUBSCRIPTION,
  DEMO_TENANT,
  DEMO_VAULTS,
  type DemoVault as VaultDef,
} from '../src/app/demo-world.js';

const MIN = 60_000;
const HOUR = 3_600_000;
const DAY = 86_400_000;

const PAYMENT_SECRETS = [
  'payments-db-password', 'stripe-api-key', 'sendgrid-api-key', 'storage-conn', 'jwt-signing-key',
  'paypal-client-secret', 'adyen-api-key', 'twilio-auth-token', 'redis-password', 'rabbitmq-password',
  'pgp-private-key', 'hmac-webhook-secret', 'ci-deploy-token', 'backup-encryption-key',
];
const SANDBOX_SECRETS = ['test-db-password', 'feature-flag-key', 'dev-api-token', 'scratch'];

/** mulberry32: small, fast, deterministic. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
let rand = prng(20250601);
const pick = <T>(items: readonly T[]): T => items[Math.floor(rand() * items.length)] as T;
const hex = (n: number) => Array.from({ length: n }, () => Math.floor(rand() * 16).toString(16)).join('');
const uuid = () => `${hex(8)}-${hex(4)}-4${hex(3)}-${pick(['8', '9', 'a', 'b'])}${hex(3)}-${hex(12)}`;

type Rec = Record<string, unknown> & { time: string };

const resourceIdOf = (v: VaultDef) =>
  `/SUBSCRIPTIONS/${DEMO_SUBSCRIPTION}/RESOURCEGROUPS/${v.rg}/PROVIDERS/MICROSOFT.KEYVAULT/VAULTS/${v.name}`.toUpperCase();
const armUri = (v: VaultDef, suffix = '') =>
  `https://management.azure.com/subscriptions/${DEMO_SUBSCRIPTION}/resourceGroups/${v.rg}/providers/Microsoft.KeyVault/vaults/${v.name}${suffix}?api-version=2023-07-01`;
const dataUri = (v: VaultDef, p: string) => `https://${v.name}.vault.azure.net/${p}?api-version=7.5`;

/** Azure writes 7 fractional digits. */
function azureTime(ms: number): string {
  return new Date(ms).toISOString().replace(/\.(\d{3})Z$/, (_m, f: string) => `.${f}${hex(4).replace(/[a-f]/g, '0')}Z`);
}

const REASONS: Record<number, string> = { 200: 'OK', 204: 'No Content', 401: 'Unauthorized', 403: 'Forbidden', 404: 'Not Found' };

interface Caller {
  oid: string;
  appid: string;
  ip: string;
  upn?: string;
  name?: string;
}

function dataClaims(c: Caller): Record<string, unknown> {
  if (c.upn)
    return { oid: c.oid, appid: c.appid, scp: 'user_impersonation', appidacr: '0', xms_az_nwperimid: [], upn: c.upn, ipaddr: c.ip, unique_name: c.upn, amr: 'pwd' };
  const claims: Record<string, unknown> = { oid: c.oid, appid: c.appid, xms_az_nwperimid: [] };
  if (c.name)
    claims.xms_mirid = `/subscriptions/${DEMO_SUBSCRIPTION}/resourcegroups/rg-apps/providers/Microsoft.ManagedIdentity/userAssignedIdentities/${c.name}`;
  return claims;
}

function armClaims(c: Caller): Record<string, unknown> {
  const claims: Record<string, unknown> = { 'http://schemas.microsoft.com/identity/claims/objectidentifier': c.oid, appid: c.appid };
  if (c.upn) {
    claims['http://schemas.xmlsoap.org/ws/2005/05/identity/claims/upn'] = c.upn;
    claims['http://schemas.xmlsoap.org/ws/2005/05/identity/claims/name'] = c.upn;
  }
  return claims;
}

function authProps(v: VaultDef, status: number): Record<string, unknown> {
  if (status === 401) return {};
  return v.model === 'rbac'
    ? { isRbacAuthorized: status !== 403, ...(status !== 403 ? { appliedAssignmentId: '7c1e6a2b-4d3f-4e5a-9b8c-0d1e2f3a4b5c' } : {}) }
    : { isAccessPolicyMatch: status !== 403 };
}

/** A data-plane record (secret/key operation). */
function dataRecord(
  v: VaultDef,
  at: number,
  op: string,
  caller: Caller,
  opts: { path: string; id?: string; status?: number; clientInfo?: string; description?: string },
): Rec {
  const status = opts.status ?? 200;
  const props: Record<string, unknown> = {
    ...(opts.id ? { id: opts.id } : {}),
    clientInfo: opts.clientInfo ?? (caller.upn ? 'AZURECLI/2.61.0 (DEB) azsdk-python-keyvault-secrets/4.8.0 Python/3.11.8 (Linux-5.15)' : 'azsdk-net-Security.KeyVault.Secrets/4.6.0 (.NET 8.0.4; Ubuntu 22.04)'),
    httpStatusCode: status,
    requestUri: dataUri(v, opts.path),
    ...authProps(v, status),
    tlsVersion: 'TLS1_3',
  };
  return {
    time: azureTime(at),
    category: 'AuditEvent',
    operationName: op,
    resultType: 'Success',
    ...(opts.description ? { resultDescription: opts.description } : {}),
    correlationId: uuid(),
    callerIpAddress: caller.ip,
    ...(status === 401 ? {} : { identity: { claim: dataClaims(caller) } }),
    properties: props,
    resourceId: resourceIdOf(v),
    operationVersion: '7.5',
    resultSignature: REASONS[status] ?? 'OK',
    durationMs: String(5 + Math.floor(rand() * 60)),
  };
}

function vaultProperties(v: VaultDef, acl: 'Allow' | 'Deny' | null): Record<string, unknown> {
  return {
    sku: { Family: 'A', Name: 'Standard', Capacity: null },
    tenantId: DEMO_TENANT,
    networkAcls: acl === null ? null : { bypass: 'AzureServices', defaultAction: acl },
    enabledForDeployment: false,
    enabledForDiskEncryption: false,
    enabledForTemplateDeployment: false,
    enableSoftDelete: true,
    softDeleteRetentionInDays: 90,
    enableRbacAuthorization: v.model === 'rbac',
    enablePurgeProtection: null,
  };
}

/** A control-plane record (VaultGet / VaultPatch) carrying the resulting vault state. */
function vaultRecord(
  v: VaultDef,
  at: number,
  op: 'VaultGet' | 'VaultPatch',
  caller: Caller,
  acl: 'Allow' | 'Deny' | null,
  extra: Record<string, unknown> = {},
  suffix = '',
): Rec {
  return {
    time: azureTime(at),
    category: 'AuditEvent',
    operationName: op,
    resultType: 'Success',
    correlationId: uuid(),
    callerIpAddress: caller.ip,
    identity: { claim: armClaims(caller) },
    properties: {
      id: `https://${v.name}.vault.azure.net/`,
      clientInfo: caller.upn ? (op === 'VaultPatch' && caller.appid.startsWith('c44') ? 'Mozilla/5.0' : 'AZURECLI/2.61.0 (DEB) azsdk-python-core/1.28.0 Python/3.11.8 (Linux-5.15)') : 'AzureResourceGraph.IngestionWorkerService.global/1.24.1.467',
      requestUri: armUri(v, suffix),
      httpStatusCode: 200,
      ...extra,
      properties: vaultProperties(v, acl),
    },
    resourceId: resourceIdOf(v),
    operationVersion: '2023-07-01',
    resultSignature: 'OK',
    durationMs: String(40 + Math.floor(rand() * 150)),
  };
}

const secretId = (v: VaultDef, name: string) => `https://${v.name}.vault.azure.net/secrets/${name}/${hex(32)}`;
const jitter = (ms: number) => Math.floor((rand() - 0.5) * ms);

function ordinary(records: Map<VaultDef, Rec[]>): void {
  const add = (v: VaultDef, r: Rec) => records.get(v)!.push(r);
  const { payments, identity, sandbox } = DEMO_VAULTS;
  const C = DEMO_CALLERS;
  const end = DEMO_START + DEMO_DAYS * DAY;
  // payments-api encrypts card data with its key every ~3 minutes (wrap/unwrap) and refreshes its cached
  // secrets every few hours; after each restart the SDK's first call is the expected 401 challenge.
  for (let t = DEMO_START + 17_000; t < end; t += 3 * MIN + jitter(40_000)) {
    if (rand() < 0.01) add(payments, dataRecord(payments, t - 200, 'Authentication', C.paymentsApi, { path: 'keys/card-data/', status: 401, description: 'AKV10000: Request is missing a Bearer or PoP token.' }));
    const op = rand() < 0.6 ? 'KeyWrap' : 'KeyUnwrap';
    add(payments, dataRecord(payments, t, op, C.paymentsApi, { path: `keys/card-data/${hex(32)}/${op === 'KeyWrap' ? 'wrapkey' : 'unwrapkey'}`, id: `https://${payments.name}.vault.azure.net/keys/card-data/${hex(32)}`, clientInfo: 'azsdk-net-Security.KeyVault.Keys/4.6.0 (.NET 8.0.4; Ubuntu 22.04)' }));
  }
  for (const [name, every] of [['payments-db-password', 2 * HOUR], ['stripe-api-key', 3 * HOUR]] as const) {
    for (let t = DEMO_START + 90_000; t < end; t += every + jitter(10 * MIN)) {
      add(payments, dataRecord(payments, t, 'SecretGet', C.paymentsApi, { path: `secrets/${name}/`, id: secretId(payments, name) }));
    }
  }
  // identity-svc signs tokens with its key every ~6 minutes and re-reads the public key every 2 hours.
  for (let t = DEMO_START + 41_000; t < end; t += 6 * MIN + jitter(60_000)) {
    add(identity, dataRecord(identity, t, 'KeySign', C.identitySvc, { path: `keys/token-signing/${hex(32)}/sign`, id: `https://${identity.name}.vault.azure.net/keys/token-signing/${hex(32)}`, clientInfo: 'azsdk-java-azure-security-keyvault-keys/4.8.0' }));
  }
  for (let t = DEMO_START + 300_000; t < end; t += 2 * HOUR + jitter(10 * MIN)) {
    add(identity, dataRecord(identity, t, 'KeyGet', C.identitySvc, { path: 'keys/token-signing/', id: `https://${identity.name}.vault.azure.net/keys/token-signing/${hex(32)}`, clientInfo: 'azsdk-java-azure-security-keyvault-keys/4.8.0' }));
  }
  for (let day = 0; day < DEMO_DAYS; day++) {
    const base = DEMO_START + day * DAY;
    // The nightly backup job (an expected backup principal) backs up payment secrets at 02:00.
    PAYMENT_SECRETS.slice(0, 5).forEach((name, i) =>
      add(payments, dataRecord(payments, base + 2 * HOUR + i * 7_000, 'SecretBackup', C.backupJob, { path: `secrets/${name}/backup`, id: `https://${payments.name}.vault.azure.net/secrets/${name}` })),
    );
    // A developer works in the sandbox during office hours.
    for (let i = 0; i < 30; i++) {
      const t = base + 8 * HOUR + Math.floor(rand() * 9 * HOUR);
      const name = pick(SANDBOX_SECRETS);
      const r = rand();
      if (r < 0.15) add(sandbox, dataRecord(sandbox, t, 'SecretList', C.dev, { path: 'secrets' }));
      else if (r < 0.3) add(sandbox, dataRecord(sandbox, t, 'SecretSet', C.dev, { path: `secrets/${name}`, id: secretId(sandbox, name) }));
      else if (r < 0.35) add(sandbox, dataRecord(sandbox, t, 'SecretGet', C.dev, { path: `secrets/${name}/`, status: 404, description: 'A secret with (name/id) was not found in this key vault.' }));
      else add(sandbox, dataRecord(sandbox, t, 'SecretGet', C.dev, { path: `secrets/${name}/`, id: secretId(sandbox, name) }));
    }
  }
  // Azure Resource Graph polls every vault hourly; its VaultGet carries the firewall state.
  for (let t = DEMO_START + 5 * MIN; t < end; t += HOUR) {
    for (const v of [payments, identity, sandbox]) add(v, vaultRecord(v, t + jitter(120_000), 'VaultGet', C.resourceGraph, v.acl));
  }
}

function attacks(records: Map<VaultDef, Rec[]>): void {
  const add = (v: VaultDef, r: Rec) => records.get(v)!.push(r);
  const { payments, identity } = DEMO_VAULTS;
  const C = DEMO_CALLERS;
  const day3 = DEMO_START + 2 * DAY;
  const at = (h: number, m: number, s = 0) => day3 + h * HOUR + m * MIN + s * 1000;
  // 10:20 bob opens a hole for his home IP.
  add(payments, vaultRecord(payments, at(10, 20, 31), 'VaultPatch', C.bob, 'Deny', { addedIpRule: { Value: '203.0.113.66/32' } }));
  // 11:02 bob grants himself secret get/list/delete/purge/backup …
  const policy = { TenantId: DEMO_TENANT, ObjectId: C.bob.oid, Permissions: { keys: [], secrets: ['get', 'list', 'delete', 'purge', 'backup'], certificates: [] } };
  add(payments, vaultRecord(payments, at(11, 2, 10), 'VaultPatch', C.bob, 'Deny', { addedAccessPolicy: policy }, '/accessPolicies/add'));
  // 11:05 … deletes and purges the Stripe key …
  add(payments, dataRecord(payments, at(11, 5, 40), 'SecretDelete', C.bob, { path: 'secrets/stripe-api-key', id: `https://${payments.name}.vault.azure.net/secrets/stripe-api-key` }));
  add(payments, dataRecord(payments, at(11, 6, 2), 'SecretPurge', C.bob, { path: 'deletedsecrets/stripe-api-key', id: `https://${payments.name}.vault.azure.net/deletedsecrets/stripe-api-key`, status: 204 }));
  // 11:08 … and removes his access policy to cover his tracks.
  add(payments, vaultRecord(payments, at(11, 8, 45), 'VaultPatch', C.bob, 'Deny', { removedAccessPolicy: policy }, '/accessPolicies/remove'));
  // 13:30 a scanner guesses secret names on the identity vault: 24 × 403 in three minutes.
  for (let i = 0; i < 24; i++) {
    const name = pick(['admin', 'root-password', 'sa-password', 'api-key', 'token-signing', 'master-key', 'db']);
    add(identity, dataRecord(identity, at(13, 30, i * 7), 'SecretGet', C.scanner, {
      path: `secrets/${name}/`, status: 403, clientInfo: 'python-requests/2.31.0',
      description: 'Caller is not authorized to perform action on resource.\nAssignment: (not found)',
    }));
  }
  // 15:40 reporting-app (not an expected app on the payments vault) lists secrets and reads 14 of them.
  add(payments, dataRecord(payments, at(15, 40, 0), 'SecretList', C.reportingApp, { path: 'secrets', clientInfo: 'azsdk-python-keyvault-secrets/4.8.0' }));
  PAYMENT_SECRETS.forEach((name, i) =>
    add(payments, dataRecord(payments, at(15, 40, 5 + i * 6), 'SecretGet', C.reportingApp, { path: `secrets/${name}/`, id: secretId(payments, name), clientInfo: 'azsdk-python-keyvault-secrets/4.8.0' })),
  );
  // 17:10 eve switches the identity vault's firewall to allow all networks in the portal.
  add(identity, vaultRecord(identity, at(17, 10, 12), 'VaultPatch', C.eve, 'Allow'));
}

/** Key Vault Event Grid events (EventGrid schema, one JSON object per line) as a Service Bus queue would hold them. */
function notices(): string {
  const { payments, identity } = DEMO_VAULTS;
  const day3 = DEMO_START + 2 * DAY;
  const topic = (v: VaultDef) =>
    `/subscriptions/${DEMO_SUBSCRIPTION}/resourceGroups/${v.rg}/providers/Microsoft.KeyVault/vaults/${v.name}`;
  const event = (v: VaultDef, type: string, objectType: string, name: string, at: number, expSeconds: number) => {
    const version = hex(32);
    return {
      id: uuid(),
      topic: topic(v),
      subject: name,
      eventType: `Microsoft.KeyVault.${type}`,
      eventTime: azureTime(at),
      data: {
        Id: `https://${v.name}.vault.azure.net/${objectType.toLowerCase()}s/${name}/${version}`,
        VaultName: v.name,
        ObjectType: objectType,
        ObjectName: name,
        Version: version,
        NBF: null,
        EXP: expSeconds,
      },
      dataVersion: '1',
      metadataVersion: '1',
    };
  };
  const lines = [
    event(payments, 'SecretNearExpiry', 'Secret', 'storage-conn', day3 + 10 * MIN, Math.floor((day3 + 30 * DAY) / 1000)),
    event(identity, 'CertificateNearExpiry', 'Certificate', 'login-tls', day3 + 6 * HOUR, Math.floor((day3 + 30 * DAY) / 1000)),
  ];
  return lines.map((l) => `${JSON.stringify(l)}\n`).join('');
}

/** Builds every record, grouped per vault and hour, as the files Azure would write. */
export function buildDemoFiles(): Map<string, string> {
  rand = prng(20250601);
  const records = new Map<VaultDef, Rec[]>(Object.values(DEMO_VAULTS).map((v) => [v, []]));
  ordinary(records);
  attacks(records);
  const files = new Map<string, string>();
  for (const [vault, list] of records) {
    list.sort((a, b) => (a.time < b.time ? -1 : a.time > b.time ? 1 : 0));
    for (const rec of list) {
      const d = new Date(rec.time);
      const p2 = (n: number) => String(n).padStart(2, '0');
      const file = `resourceId=${resourceIdOf(vault)}/y=${d.getUTCFullYear()}/m=${p2(d.getUTCMonth() + 1)}/d=${p2(d.getUTCDate())}/h=${p2(d.getUTCHours())}/m=00/PT1H.json`;
      files.set(file, `${files.get(file) ?? ''}${JSON.stringify(rec)}\n`);
    }
  }
  // Event Grid notices as a forwarder would drop them next to the audit logs.
  files.set('event-grid/y=2025/m=06/d=03/h=00/m=00/notices.json', notices());
  return files;
}
