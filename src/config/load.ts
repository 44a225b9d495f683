import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';
import type { z } from 'zod';
import { ConfigError } from '../errors.js';
import { type EnvSettings, readEnv } from './env.js';
import { type ConfigFile, configSchema, type RoleName } from './schema.js';

/** The validated, defaulted, frozen configuration every part of kv-warden receives. */
export interface Config extends ConfigFile {
  readonly env: EnvSettings;
  /** The file it came from, or undefined for embedded defaults. */
  readonly file?: string;
  /** True when nothing Azure/Slack/Teams is configured: embedded mode with demo data. */
  readonly embedded: boolean;
}

/** Azure's vault naming rule: 3–24 chars, letters/digits/hyphens, starts with a letter, no `--`, no trailing hyphen. */
export const VAULT_NAME = /^(?!.*--)[a-zA-Z][a-zA-Z0-9-]{1,22}[a-zA-Z0-9]$/;

/** Which file to read: the flag, then $KV_WARDEN_CONFIG, then ./kv-warden.yaml if it exists. */
export function resolveConfigPath(
  flag: string | undefined,
  env: NodeJS.ProcessEnv,
  cwd = process.cwd(),
): string | undefined {
  if (flag) return path.resolve(cwd, flag);
  if (env.KV_WARDEN_CONFIG) return path.resolve(cwd, env.KV_WARDEN_CONFIG);
  const fallback = path.resolve(cwd, 'kv-warden.yaml');
  return existsSync(fallback) ? fallback : undefined;
}

/** Loads, validates and freezes configuration. Throws ConfigError naming the bad key. */
export function loadConfig(options: { file?: string; env?: NodeJS.ProcessEnv; text?: string } = {}): Config {
  const env = options.env ?? process.env;
  let raw: unknown = {};
  if (options.text !== undefined || options.file !== undefined) {
    let text = options.text;
    if (text === undefined) {
      try {
        text = readFileSync(options.file!, 'utf8');
      } catch (err) {
        throw new ConfigError('(file)', `cannot read ${options.file}: ${(err as Error).message}`);
      }
    }
    const doc = YAML.parseDocument(text, { uniqueKeys: true });
    if (doc.errors.length > 0) {
      const e = doc.errors[0]!;
      const where = e.linePos?.[0] ? ` (line ${e.linePos[0].line}, column ${e.linePos[0].col})` : '';
      throw new ConfigError('(file)', `YAML syntax error${where}: ${e.message.split('\n')[0]}`);
    }
    raw = interpolateEnv(doc.toJS() ?? {}, env, '');
  }
  return parseConfig(raw, readEnv(env), options.file);
}

/** Validates an already-parsed object (tests use this directly). */
export function parseConfig(raw: unknown, env: EnvSettings, file?: string): Config {
  const result = configSchema.safeParse(raw);
  if (!result.success) throw toConfigError(result.error);
  const cfg = result.data;
  crossCheck(cfg);
  const vaults = Object.fromEntries(Object.entries(cfg.vaults).map(([k, v]) => [k.toLowerCase(), v]));
  const embedded =
    !cfg.sources.serviceBus &&
    !cfg.sources.blob &&
    !env.slack.botToken &&
    !env.teams.clientId &&
    !cfg.teams.allowUnauthenticatedLocalDev &&
    !('azureTable' in cfg.store);
  // Telemetry export is on when asked for, or by default when the connection string is set outside embedded mode.
  cfg.telemetry.azureMonitor.enabled =
    cfg.telemetry.azureMonitor.enabled ?? (env.telemetry.connectionString !== undefined && !embedded);
  if (cfg.telemetry.azureMonitor.enabled) checkConnectionString(env.telemetry.connectionString);
  const config: Config = { ...cfg, vaults, env, embedded, ...(file ? { file } : {}) };
  if (env.port !== undefined) config.server.port = env.port;
  return deepFreeze(config);
}

/**
 * Replaces `${NAME}` in string values with the environment variable NAME, so deployment templates can
 * hand endpoints to the file. A missing variable is a configuration error naming the key.
 */
function interpolateEnv(value: unknown, env: NodeJS.ProcessEnv, keyPath: string): unknown {
  if (typeof value === 'string') {
    return value.replace(/\$\{([A-Z_][A-Z0-9_]*)\}/g, (_m, name: string) => {
      const v = env[name];
      if (v === undefined || v === '')
        throw new ConfigError(keyPath, `environment variable ${name} is not set`);
      return v;
    });
  }
  if (Array.isArray(value))
    return value.map((v, i) => interpolateEnv(v, env, keyPath ? `${keyPath}.${i}` : String(i)));
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value).map(([k, v]) => [k, interpolateEnv(v, env, keyPath ? `${keyPath}.${k}` : k)]),
    );
  }
  return value;
}

function toConfigError(error: z.ZodError): ConfigError {
  const issue = error.issues[0]!;
  const keyPath = issue.path.map(String).join('.');
  let message = issue.message;
  if (issue.code === 'unrecognized_keys') {
    const keys = (issue as { keys: string[] }).keys;
    return new ConfigError(keyPath ? `${keyPath}.${keys[0]}` : keys[0]!, `unknown key "${keys[0]}"`);
  }
  if (issue.code === 'invalid_type') message = `${message}`;
  return new ConfigError(keyPath, message);
}

function crossCheck(cfg: ConfigFile): void {
  for (const name of Object.keys(cfg.vaults)) {
    if (!VAULT_NAME.test(name))
      throw new ConfigError(`vaults.${name}`, `"${name}" is not a valid Key Vault name`);
  }
  const people = new Set(Object.keys(cfg.people));
  const checkRoles = (roles: Partial<Record<RoleName, string[]>>, prefix: string) => {
    for (const [role, members] of Object.entries(roles)) {
      members?.forEach((member, i) => {
        if (!people.has(member))
          throw new ConfigError(`${prefix}.${role}.${i}`, `"${member}" is not defined under people`);
      });
    }
  };
  checkRoles(cfg.roles, 'roles');
  for (const [name, v] of Object.entries(cfg.vaults))
    if (v.roles) checkRoles(v.roles, `vaults.${name}.roles`);
  // One chat identity must map to exactly one person (fail closed on identity).
  const seen = new Map<string, string>();
  for (const [name, p] of Object.entries(cfg.people)) {
    for (const [kind, id] of Object.entries(p)) {
      if (kind === 'displayName' || kind === 'email' || id === undefined) continue;
      const key = `${kind}:${String(id).toLowerCase()}`;
      const other = seen.get(key);
      if (other)
        throw new ConfigError(
          `people.${name}.${kind}`,
          `identity ${id} is already used by person "${other}"`,
        );
      seen.set(key, name);
    }
  }
  const keyRetention = cfg.sources.eventKeyRetention;
  if (keyRetention !== undefined && keyRetention < 2 * cfg.detection.lateness)
    throw new ConfigError(
      'sources.eventKeyRetention',
      'must be at least twice detection.lateness, or late records delivered again would be counted twice',
    );
  if (cfg.escalation.pagerduty && !cfg.escalation.pagerduty.routingKeyEnv) {
    throw new ConfigError('escalation.pagerduty.routingKeyEnv', 'is required');
  }
}

/** The parts of an Application Insights connection string the exporter needs; the value is never echoed. */
function checkConnectionString(text: string | undefined): void {
  if (text === undefined)
    throw new ConfigError(
      'telemetry.azureMonitor.enabled',
      'APPLICATIONINSIGHTS_CONNECTION_STRING is not set (copy it from the Application Insights resource)',
    );
  const fields = new Map(
    text.split(';').flatMap((part) => {
      const at = part.indexOf('=');
      return at > 0 ? [[part.slice(0, at).trim().toLowerCase(), part.slice(at + 1).trim()] as const] : [];
    }),
  );
  const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
  if (!GUID.test(fields.get('instrumentationkey') ?? ''))
    throw new ConfigError(
      'env.APPLICATIONINSIGHTS_CONNECTION_STRING',
      'has no InstrumentationKey=<GUID>; copy the whole connection string from the Application Insights resource',
    );
  const endpoint = fields.get('ingestionendpoint');
  if (endpoint !== undefined && !/^https?:\/\/[^\s/]+/i.test(endpoint))
    throw new ConfigError(
      'env.APPLICATIONINSIGHTS_CONNECTION_STRING',
      'IngestionEndpoint is not an http(s) URL',
    );
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value as Record<string, unknown>))
      if (typeof v !== 'function') deepFreeze(v);
  }
  return value;
}
