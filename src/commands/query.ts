import { existsSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { createQueryService } from '../azure/log-analytics/create-query-service.js';
import type { CommandIo } from '../cli.js';
import { loadConfig, resolveConfigPath } from '../config/load.js';
import {
  InvalidParameterError,
  isCodedError,
  NotAvailableError,
  QueryFailedError,
  UsageError,
} from '../errors.js';
import { formatResult, type OutputFormat } from '../queries/format.js';
import { QueryPlanner, type QueryRequest } from '../queries/query-service.js';
import { QUERY_NAMES } from '../queries/query-spec.js';
import { printableSql } from '../queries/render.js';
import { openDuckDb } from '../store/duckdb/open-duckdb.js';
import { EventHistory } from '../store/history/event-history.js';
import { systemClock } from '../util/clock.js';

const USAGE = `usage: kv-warden query NAME [--vault V] [--since DUR] [--caller ID] [--ip IP] [--limit N]
                       [--print kql|sql] [--format table|json|csv] [--config FILE]
queries: ${QUERY_NAMES.join(', ')}   (caller takes the principal as --caller ID or as the argument after NAME)
periods: today (since UTC midnight) or 30m, 24h, 7d, … up to 90d (default 24h)`;

/**
 * `kv-warden query`: runs a canned query against Log Analytics when `queries.workspaceId` is set, else
 * against the embedded DuckDB history. `--print kql|sql` prints the exact query instead of running it.
 * Exit codes: 0 ok, 2 usage/configuration/parameter error, 1 other failure.
 */
export async function run(args: string[], io: CommandIo): Promise<number> {
  if (args.includes('--help') || args.includes('-h')) {
    io.stdout.write(`${USAGE}\n`);
    return 0;
  }
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse(args);
  } catch (err) {
    io.stderr.write(`kv-warden query: ${(err as Error).message}\n${USAGE}\n`);
    return 2;
  }
  const { request, print, format, configFlag } = parsed;
  const file = resolveConfigPath(configFlag, io.env, io.cwd);
  const config = loadConfig({ ...(file ? { file } : {}), env: io.env });
  const planner = new QueryPlanner({
    clock: systemClock,
    tables: config.queries.tables,
    maxRows: config.queries.maxRows,
    timeoutMs: config.queries.timeout,
  });
  try {
    const prepared = planner.prepare(request);
    if (print === 'kql') {
      io.stdout.write(`${planner.kqlFor(prepared)}\n`);
      return 0;
    }
    if (print === 'sql') {
      io.stdout.write(`${printableSql(planner.sqlFor(prepared))}\n`);
      return 0;
    }
    const result = await withService(config, io, async (service) => service.runPrepared(prepared));
    io.stdout.write(formatResult(result, format));
    for (const w of result.warnings) io.stderr.write(`warning: ${w}\n`);
    if (result.engine === 'log-analytics') io.stderr.write('note: audit logs can be ~10 minutes behind.\n');
    return 0;
  } catch (err) {
    if (err instanceof InvalidParameterError || err instanceof UsageError) {
      io.stderr.write(`kv-warden query: ${err.message}\n`);
      return 2;
    }
    if (isCodedError(err)) {
      io.stderr.write(`kv-warden query: ${err.userMessage}\n`);
      return 1;
    }
    throw err;
  }
}

type Config = ReturnType<typeof loadConfig>;
type Service = Awaited<ReturnType<typeof createQueryService>>;

async function withService<T>(config: Config, io: CommandIo, work: (s: Service) => Promise<T>): Promise<T> {
  if (config.queries.workspaceId) return work(await createQueryService(config, { clock: systemClock }));
  if (!('duckdb' in config.store))
    throw new NotAvailableError(
      'embedded queries',
      'set queries.workspaceId, or store.duckdb for the local history',
    );
  const file = path.resolve(io.cwd, config.store.duckdb);
  if (!existsSync(file))
    throw new QueryFailedError(`no local history at ${file}`, {
      userMessage: `There is no local history at ${file} yet: run \`kv-warden serve\` to ingest audit events first.`,
    });
  let db: Awaited<ReturnType<typeof openDuckDb>>;
  try {
    db = await openDuckDb(file);
  } catch (err) {
    throw new QueryFailedError(`cannot open ${file}: ${(err as Error).message}`, {
      cause: err,
      userMessage: `Cannot open ${file}: ${/lock/i.test((err as Error).message) ? 'a running kv-warden serve holds it (DuckDB allows one process); ask with /kv in chat instead' : (err as Error).message}.`,
    });
  }
  try {
    const history = await EventHistory.open(db, {
      retentionMs: config.queries.retention,
      clock: systemClock,
    });
    return await work(await createQueryService(config, { clock: systemClock, history }));
  } finally {
    await db.close();
  }
}

function parse(args: string[]): {
  request: QueryRequest;
  print?: 'kql' | 'sql';
  format: OutputFormat;
  configFlag?: string;
} {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    strict: true,
    options: {
      vault: { type: 'string' },
      since: { type: 'string' },
      caller: { type: 'string' },
      ip: { type: 'string' },
      limit: { type: 'string' },
      print: { type: 'string' },
      format: { type: 'string', default: 'table' },
      config: { type: 'string' },
    },
  });
  const [name, extra, ...more] = positionals;
  if (!name) throw new Error('a query NAME is required');
  if (more.length > 0 || (extra !== undefined && name !== 'caller'))
    throw new Error(`unexpected argument "${(extra ?? more[0] ?? '').slice(0, 40)}"`);
  if (extra !== undefined && values.caller !== undefined) throw new Error('give the caller once');
  const caller = values.caller ?? extra;
  if (values.print !== undefined && values.print !== 'kql' && values.print !== 'sql')
    throw new Error('--print takes kql or sql');
  const format = values.format as string;
  if (format !== 'table' && format !== 'json' && format !== 'csv')
    throw new Error('--format takes table, json or csv');
  return {
    request: {
      name,
      ...(values.vault !== undefined ? { vault: values.vault } : {}),
      ...(values.since !== undefined ? { since: values.since } : {}),
      ...(caller !== undefined ? { caller } : {}),
      ...(values.ip !== undefined ? { ip: values.ip } : {}),
      ...(values.limit !== undefined ? { limit: values.limit } : {}),
    },
    ...(values.print ? { print: values.print as 'kql' | 'sql' } : {}),
    format,
    ...(values.config ? { configFlag: values.config } : {}),
  };
}
