import { InvalidParameterError, isCodedError, QueryFailedError, UsageError } from '../errors.js';
import type { Clock } from '../util/clock.js';
import { parseIp, parseLimit, parsePrincipal, parseSince, parseVault } from './params.js';
import type { HistorySql, LogQueryRunner } from './ports.js';
import type { QueryParams, QuerySpec, SqlQuery, TablesMode } from './query-spec.js';
import { QUERY_NAMES } from './query-spec.js';
import { renderKql, renderSql, specFor } from './render.js';
import { normalizeRow, type QueryResult } from './result.js';
import { resolveRange } from './time-range.js';

/** What a user (CLI flags, chat words, a pivot button) asks for: raw, unvalidated strings. */
export interface QueryRequest {
  readonly name: string;
  readonly vault?: string;
  readonly since?: string;
  readonly caller?: string;
  readonly ip?: string;
  readonly limit?: string | number;
}

/** A request that passed validation: the spec and typed parameters. */
export interface PreparedQuery {
  readonly spec: QuerySpec;
  readonly params: QueryParams;
}

export type QueryEngine =
  | { readonly kind: 'log-analytics'; readonly runner: LogQueryRunner }
  | { readonly kind: 'embedded'; readonly history: HistorySql };

export interface QueryPlannerOptions {
  readonly clock: Clock;
  /** `queries.tables`. */
  readonly tables: TablesMode;
  /** `queries.maxRows`: the default row cap. */
  readonly maxRows: number;
  /** `queries.timeout`: server-side timeout for Log Analytics. */
  readonly timeoutMs: number;
}

export interface QueryServiceOptions extends QueryPlannerOptions {
  readonly engine: QueryEngine;
}

export const DEFAULT_SINCE = '24h';

/** Validates and renders canned queries (no engine needed: `--print`). */
export class QueryPlanner {
  constructor(protected readonly options: QueryPlannerOptions) {}

  get tables(): TablesMode {
    return this.options.tables;
  }

  /** Validates a request; throws UsageError for an unknown name, InvalidParameterError for a bad value. */
  prepare(req: QueryRequest): PreparedQuery {
    const spec = specFor(req.name.toLowerCase());
    if (!spec)
      throw new UsageError(
        `unknown query "${req.name.slice(0, 40).replace(/[^\x20-\x7e]/g, '?')}"; known: ${QUERY_NAMES.join(', ')}`,
      );
    if (spec.needs.caller === 'required' && !req.caller)
      throw new InvalidParameterError('caller', `the ${spec.name} query needs an object id, app id or UPN`);
    if (spec.needs.caller === 'none' && req.caller !== undefined)
      throw new InvalidParameterError(
        'caller',
        `the ${spec.name} query takes no caller; use the caller query`,
      );
    if (spec.needs.vault === 'required' && !req.vault)
      throw new InvalidParameterError('vault', `the ${spec.name} query needs a vault name`);
    const range = resolveRange(parseSince(req.since ?? DEFAULT_SINCE), this.options.clock);
    const params: QueryParams = {
      range,
      limit: req.limit === undefined ? this.options.maxRows : parseLimit(req.limit),
      ...(req.vault !== undefined ? { vault: parseVault(req.vault) } : {}),
      ...(req.caller !== undefined ? { caller: parsePrincipal(req.caller) } : {}),
      ...(req.ip !== undefined ? { ip: parseIp(req.ip) } : {}),
    };
    return { spec, params };
  }

  kqlFor(q: PreparedQuery): string {
    return renderKql(q.spec, q.params, this.options.tables);
  }

  sqlFor(q: PreparedQuery): SqlQuery {
    return renderSql(q.spec, q.params);
  }
}

/** Validates, renders and runs canned queries on the configured engine. */
export class QueryService extends QueryPlanner {
  constructor(protected override readonly options: QueryServiceOptions) {
    super(options);
  }

  get engineKind(): QueryEngine['kind'] {
    return this.options.engine.kind;
  }

  async run(req: QueryRequest): Promise<QueryResult> {
    return this.runPrepared(this.prepare(req));
  }

  async runPrepared(q: PreparedQuery): Promise<QueryResult> {
    const { spec, params } = q;
    const engine = this.options.engine;
    const warnings: string[] = [];
    let rawRows: readonly Record<string, unknown>[];
    let kql: string | undefined;
    if (engine.kind === 'log-analytics') {
      kql = this.kqlFor(q);
      const answer = await engine.runner.query({
        kql,
        startMs: params.range.startMs - (spec.lookbackMs ?? 0),
        endMs: params.range.endMs,
        timeoutMs: this.options.timeoutMs,
      });
      rawRows = answer.rows;
      if (answer.partialError)
        warnings.push(`Log Analytics returned partial results: ${answer.partialError.slice(0, 300)}`);
    } else {
      const sql = this.sqlFor(q);
      try {
        rawRows = await engine.history.all(sql.sql, sql.params);
      } catch (err) {
        if (isCodedError(err)) throw err;
        throw new QueryFailedError(
          `the local history could not run ${spec.name}: ${(err as Error).message}`,
          {
            cause: err,
            userMessage: `The local history could not run the ${spec.name} query; the details are in the log.`,
          },
        );
      }
    }
    const truncated = rawRows.length > params.limit;
    const rows = rawRows.slice(0, params.limit).map((r) => normalizeRow(spec.columns, r));
    if (truncated) warnings.push(`Only the first ${params.limit} rows are shown.`);
    return {
      name: spec.name,
      engine: engine.kind,
      columns: spec.columns,
      rows,
      truncated,
      range: params.range,
      warnings,
      ...(params.vault ? { vault: params.vault } : {}),
      ...(params.caller ? { caller: params.caller } : {}),
      ...(params.ip ? { ip: params.ip } : {}),
      ...(kql ? { kql, tables: this.options.tables } : {}),
    };
  }
}
