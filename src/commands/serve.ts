import type { DestinationStream } from 'pino';
import { withDemoDefaults } from '../app/demo.js';
import { type App, createApp } from '../app.js';
import type { CommandIo } from '../cli.js';
import { loadConfig, resolveConfigPath } from '../config/load.js';
import { ConfigError, UsageError } from '../errors.js';
import { createLogger } from '../util/logger.js';

const USAGE = 'usage: kv-warden serve [--config FILE] [--demo] [--port N]';

interface ServeArgs {
  readonly config?: string;
  readonly demo: boolean;
  readonly port?: number;
}

/** Parses `serve` flags; throws UsageError naming the bad flag. */
export function parseServeArgs(args: readonly string[]): ServeArgs {
  let config: string | undefined;
  let demo = false;
  let port: number | undefined;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    const [flag, inline] =
      arg.startsWith('--') && arg.includes('=')
        ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)]
        : [arg, undefined];
    const value = (): string => {
      const v = inline ?? args[++i];
      if (v === undefined || v === '') throw new UsageError(`${flag} needs a value. ${USAGE}`);
      return v;
    };
    if (flag === '--config') config = value();
    else if (flag === '--demo') demo = true;
    else if (flag === '--port') {
      const v = value();
      if (!/^\d{1,5}$/.test(v) || Number(v) > 65535)
        throw new UsageError(`--port: "${v}" is not a port number. ${USAGE}`);
      port = Number(v);
    } else throw new UsageError(`unknown option "${arg}". ${USAGE}`);
  }
  return { ...(config ? { config } : {}), demo, ...(port !== undefined ? { port } : {}) };
}

/**
 * `kv-warden serve`: runs the bot until SIGTERM/SIGINT. With no configuration (or `--demo`) it runs the
 * embedded mode: DuckDB store, local console, bundled demo data replayed into the folder source.
 */
export async function run(args: string[], io: CommandIo): Promise<number> {
  const flags = parseServeArgs(args);
  const file = resolveConfigPath(flags.config, io.env, io.cwd);
  let config = loadConfig({ ...(file ? { file } : {}), env: io.env });
  // Demo data is the default when nothing is configured (DESIGN §3).
  const demo = flags.demo || (!file && config.embedded);
  if (demo) config = withDemoDefaults(config);
  if (flags.port !== undefined) config = { ...config, server: { ...config.server, port: flags.port } };
  const logger = createLogger({
    level: config.logging.level,
    destination: io.stderr as unknown as DestinationStream,
  });
  const app: App = await createApp(config, { logger, cwd: io.cwd, demo });
  try {
    await app.start();
  } catch (err) {
    await app.stop().catch(() => undefined);
    if ((err as NodeJS.ErrnoException).code === 'EADDRINUSE')
      throw new ConfigError(
        'server.port',
        `port ${config.server.port} on ${config.server.host} is already in use; choose another with --port N or PORT`,
      );
    throw err;
  }
  io.stdout.write(`kv-warden: listening on ${app.url}${demo ? ' (demo data)' : ''}\n`);
  if (app.consoleUrl) io.stdout.write(`console: ${app.consoleUrl}\n`);
  await io.stopSignal;
  io.stdout.write('kv-warden: stopping (finishing intake, flushing the outbox)\n');
  await app.stop();
  io.stdout.write('kv-warden: stopped\n');
  return 0;
}
