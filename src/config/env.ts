import { ConfigError } from '../errors.js';

/** Settings that come only from the environment (secrets never live in the YAML file). */
export interface EnvSettings {
  readonly slack: {
    readonly botToken?: string;
    readonly signingSecret?: string;
    readonly appToken?: string;
    readonly apiUrl?: string;
  };
  readonly teams: { readonly clientId?: string; readonly clientSecret?: string; readonly tenantId?: string };
  readonly serviceBus: { readonly connectionString?: string; readonly namespace?: string };
  readonly storage: { readonly connectionString?: string };
  readonly tables: { readonly connectionString?: string };
  /** Application Insights connection string (`APPLICATIONINSIGHTS_CONNECTION_STRING`) for the telemetry export. */
  readonly telemetry: { readonly connectionString?: string };
  readonly port?: number;
  /** Values of variables named by the config (e.g. the PagerDuty routing key), looked up on demand. */
  readonly lookup: (name: string) => string | undefined;
}

/** Names whose values are secrets: never logged, never echoed. */
export const SECRET_ENV_NAMES = [
  'SLACK_BOT_TOKEN',
  'SLACK_SIGNING_SECRET',
  'SLACK_APP_TOKEN',
  'CLIENT_SECRET',
  'SERVICEBUS_CONNECTION_STRING',
  'AZURE_STORAGE_CONNECTION_STRING',
  'AZURE_TABLES_CONNECTION_STRING',
  'AZURE_CLIENT_SECRET',
  // Not a credential to Azure, but it lets anyone write telemetry into the component: kept out of logs too.
  'APPLICATIONINSIGHTS_CONNECTION_STRING',
] as const;

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === '' ? undefined : value;
}

/** Reads the environment once. The only place besides config/load.ts that looks at process.env. */
export function readEnv(env: NodeJS.ProcessEnv): EnvSettings {
  let port: number | undefined;
  const portText = nonEmpty(env.PORT);
  if (portText !== undefined) {
    if (!/^\d{1,5}$/.test(portText) || Number(portText) > 65535)
      throw new ConfigError('env.PORT', `"${portText}" is not a port number`);
    port = Number(portText);
  }
  const slackApiUrl = nonEmpty(env.SLACK_API_URL);
  if (slackApiUrl !== undefined && !/^https?:\/\//.test(slackApiUrl)) {
    throw new ConfigError('env.SLACK_API_URL', 'must be an http(s) URL ending in /api/');
  }
  const settings: EnvSettings = {
    slack: {
      botToken: nonEmpty(env.SLACK_BOT_TOKEN),
      signingSecret: nonEmpty(env.SLACK_SIGNING_SECRET),
      appToken: nonEmpty(env.SLACK_APP_TOKEN),
      apiUrl: slackApiUrl,
    },
    teams: {
      clientId: nonEmpty(env.CLIENT_ID),
      clientSecret: nonEmpty(env.CLIENT_SECRET),
      tenantId: nonEmpty(env.TENANT_ID),
    },
    serviceBus: {
      connectionString: nonEmpty(env.SERVICEBUS_CONNECTION_STRING),
      namespace: nonEmpty(env.SERVICEBUS_NAMESPACE),
    },
    storage: { connectionString: nonEmpty(env.AZURE_STORAGE_CONNECTION_STRING) },
    tables: { connectionString: nonEmpty(env.AZURE_TABLES_CONNECTION_STRING) },
    telemetry: { connectionString: nonEmpty(env.APPLICATIONINSIGHTS_CONNECTION_STRING) },
    lookup: (name: string) => nonEmpty(env[name]),
  };
  return port === undefined ? settings : { ...settings, port };
}
