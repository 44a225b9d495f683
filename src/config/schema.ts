import { z } from 'zod';
import { RULE_IDS, SEVERITIES } from '../detect/rule-ids.js';
import { parseCidr } from '../util/cidr.js';
import { parseDuration } from '../util/duration.js';

/** A duration string (`90s`, `5m`, `1h`, `30d`) parsed to milliseconds. */
const duration = z.string().transform((text, ctx) => {
  const ms = parseDuration(text);
  if (ms === undefined || ms <= 0) {
    ctx.addIssue({ code: 'custom', message: `"${text}" is not a duration like 90s, 5m, 1h or 30d` });
    return z.NEVER;
  }
  return ms;
});

const cidr = z
  .string()
  .refine((v) => parseCidr(v) !== undefined, { message: 'is not a CIDR like 198.51.100.0/24' });
const guid = z
  .string()
  .regex(/^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/, 'is not a GUID')
  .transform((v) => v.toLowerCase());
const severity = z.enum(SEVERITIES);
/** Person names as used in `people` and `roles`. */
const personName = z
  .string()
  .regex(/^[A-Za-z0-9._-]{1,64}$/, 'is not a person name (letters, digits, . _ -)');

/** Where cards go, per surface. */
const channel = z.strictObject({
  teams: z.string().min(1).optional(),
  slack: z.string().min(1).optional(),
  console: z.string().min(1).optional(),
  minSeverity: severity.optional(),
});

const ruleOverride = z.strictObject({ enabled: z.boolean().optional(), severity: severity.optional() });

const rules = z.record(z.string(), ruleOverride).superRefine((value, ctx) => {
  for (const id of Object.keys(value)) {
    if (!(RULE_IDS as readonly string[]).includes(id)) {
      ctx.addIssue({
        code: 'custom',
        path: [id],
        message: `unknown rule id "${id}"; known: ${RULE_IDS.join(', ')}`,
      });
    }
  }
});

const roleList = z.array(personName).default([]);
const roles = z.strictObject({
  viewer: roleList,
  responder: roleList,
  requester: roleList,
  approver: roleList,
});

const detection = z.strictObject({
  baselineDays: z.number().int().min(1).max(365).default(30),
  knownNetworks: z.array(cidr).default([]),
  backupPrincipals: z
    .array(
      z
        .string()
        .min(1)
        .transform((v) => v.toLowerCase()),
    )
    .default([]),
  failedBurst: z
    .strictObject({ threshold: z.number().int().min(1).default(10), window: duration.default(300_000) })
    .prefault({}),
  grantRevokeWindow: duration.default(600_000),
  bulkEnumeration: z
    .strictObject({ distinctObjects: z.number().int().min(2).default(10), window: duration.default(300_000) })
    .prefault({}),
  massRetrieval: z
    .strictObject({
      threshold: z.number().int().min(1).default(25),
      window: duration.default(86_400_000),
      baselineFactor: z.number().positive().default(3),
    })
    .prefault({}),
  /** How far out of order records may arrive and still give the same alerts as ordered input. */
  lateness: duration.default(900_000),
  /** Repeats of one fingerprint within this window are one alert. */
  groupingWindow: duration.default(3_600_000),
  rules: rules.default({}),
});

const vault = z.strictObject({
  expectedApps: z.array(guid).default([]),
  channel: channel.optional(),
  /** Per-vault role grants, added to the global `roles`. */
  roles: roles.partial().optional(),
});

const person = z.strictObject({
  entra: guid.optional(),
  slack: z
    .string()
    .regex(/^[UW][A-Z0-9]{2,}$/, 'is not a Slack user id like U01ABCDEF')
    .optional(),
  teams: guid.optional(),
  displayName: z.string().max(100).optional(),
  email: z.string().max(200).optional(),
});

const escalation = z.strictObject({
  channel: channel.optional(),
  mention: z.string().max(200).optional(),
  pagerduty: z
    .strictObject({
      routingKeyEnv: z.string().regex(/^[A-Z_][A-Z0-9_]*$/, 'is not an environment variable name'),
      apiUrl: z.url().default('https://events.pagerduty.com/v2/enqueue'),
    })
    .optional(),
  autoEscalateAfter: duration.optional(),
});

const rotation = z.strictObject({
  requestTtl: duration.default(3_600_000),
  approvalsRequired: z.number().int().min(1).max(5).default(1),
  channel: channel.optional(),
});

const serviceBusEntity = z.union([
  z.strictObject({
    queue: z.string().min(1),
    sessions: z.boolean().default(false),
    kind: z.enum(['audit', 'event-grid']).default('audit'),
  }),
  z.strictObject({
    topic: z.string().min(1),
    subscription: z.string().min(1),
    sessions: z.boolean().default(false),
    kind: z.enum(['audit', 'event-grid']).default('audit'),
  }),
]);

const sources = z.strictObject({
  serviceBus: z
    .strictObject({
      /** Fully qualified namespace (`contoso.servicebus.windows.net`) when using DefaultAzureCredential. */
      namespace: z.string().optional(),
      entities: z.array(serviceBusEntity).min(1),
      concurrency: z.number().int().min(1).max(64).default(4),
      maxLockRenewal: duration.default(300_000),
    })
    .optional(),
  blob: z
    .strictObject({
      /** `https://<account>.blob.core.windows.net` (DefaultAzureCredential), else AZURE_STORAGE_CONNECTION_STRING. */
      accountUrl: z.url().optional(),
      container: z.string().default('insights-logs-auditevent'),
      /** Vault resource ids to follow; all vaults under the container when empty. */
      vaults: z.array(z.string()).default([]),
      pollInterval: duration.default(60_000),
      /** Service Bus queue the forwarder sends to; in-process when absent. */
      sendTo: z.string().optional(),
    })
    .optional(),
  folder: z.string().optional(),
  /**
   * How long event keys are remembered, by event time, so a record delivered again is skipped. Default
   * max(2 × detection.lateness, 48h); at least 2 × detection.lateness.
   */
  eventKeyRetention: duration.optional(),
});

const queries = z.strictObject({
  workspaceId: guid.optional(),
  /** ARM id of the workspace, for the "Open in Log Analytics" link on result cards. */
  workspaceResourceId: z
    .string()
    .regex(
      /^\/subscriptions\/[^/]+\/resourcegroups\/[^/]+\/providers\/microsoft\.operationalinsights\/workspaces\/[^/]+$/i,
      'is not a Log Analytics workspace resource id (/subscriptions/…/resourceGroups/…/providers/Microsoft.OperationalInsights/workspaces/…)',
    )
    .optional(),
  tables: z.enum(['AzureDiagnostics', 'AZKVAuditLogs', 'both']).default('both'),
  timeout: duration.default(60_000),
  maxRows: z.number().int().min(1).max(10_000).default(50),
  /** How long the embedded history keeps events. */
  retention: duration.default(90 * 86_400_000),
});

const store = z.union([
  z.strictObject({ duckdb: z.string().min(1) }),
  z.strictObject({
    azureTable: z.strictObject({
      /** `https://<account>.table.core.windows.net`; else AZURE_TABLES_CONNECTION_STRING. */
      endpoint: z.url().optional(),
      tablePrefix: z
        .string()
        .regex(/^[A-Za-z][A-Za-z0-9]{0,40}$/)
        .default('kvwarden'),
    }),
  }),
]);

const azure = z.strictObject({
  cloud: z.enum(['AzurePublic', 'AzureChina', 'AzureUSGovernment']).default('AzurePublic'),
  endpoints: z
    .strictObject({
      resourceManager: z.url().optional(),
      keyVaultDnsSuffix: z.string().optional(),
      logAnalytics: z.url().optional(),
      authorityHost: z.url().optional(),
    })
    .optional(),
});

const server = z.strictObject({
  host: z.string().default('127.0.0.1'),
  port: z.number().int().min(0).max(65535).default(3978),
  /** Public https base URL of the bot (Teams manifest valid domains, Slack request URLs). */
  publicUrl: z.url().optional(),
  /** Serve the local console (`/`, `/console/*`; loopback only). Default: on in embedded mode only. */
  console: z.boolean().optional(),
});

const teams = z.strictObject({
  /** Local development only: accept Bot Framework activities without a token. Logged as a warning. */
  allowUnauthenticatedLocalDev: z.boolean().default(false),
});

const telemetry = z.strictObject({
  /** OpenTelemetry export (request traces, metrics) to Application Insights; the connection string comes from the environment. */
  azureMonitor: z
    .strictObject({
      /** Default: on when APPLICATIONINSIGHTS_CONNECTION_STRING is set, outside embedded mode. */
      enabled: z.boolean().optional(),
      /** Share of request traces kept (0–1); Application Insights scales counts back up. */
      samplingRatio: z.number().min(0).max(1).default(1),
      /** How often metrics are exported. */
      metricsInterval: duration.default(60_000),
    })
    .prefault({}),
});

export const configSchema = z.strictObject({
  detection: detection.prefault({}),
  vaults: z.record(z.string(), vault).default({}),
  people: z.record(personName, person).default({}),
  roles: roles.prefault({}),
  chat: z.strictObject({ default: channel.optional() }).prefault({}),
  escalation: escalation.prefault({}),
  rotation: rotation.prefault({}),
  sources: sources.prefault({}),
  queries: queries.prefault({}),
  store: store.default({ duckdb: '.kv-warden/kv-warden.duckdb' }),
  azure: azure.prefault({}),
  server: server.prefault({}),
  teams: teams.prefault({}),
  telemetry: telemetry.prefault({}),
  logging: z
    .strictObject({ level: z.enum(['trace', 'debug', 'info', 'warn', 'error']).default('info') })
    .prefault({}),
});

export type ConfigFile = z.infer<typeof configSchema>;
export type ChannelConfig = z.infer<typeof channel>;
export type VaultConfig = z.infer<typeof vault>;
export type PersonConfig = z.infer<typeof person>;
export type RolesConfig = z.infer<typeof roles>;
export type RoleName = keyof RolesConfig;
export type DetectionConfig = z.infer<typeof detection>;
export type ServiceBusEntityConfig = z.infer<typeof serviceBusEntity>;
