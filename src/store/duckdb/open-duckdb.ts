import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { type DuckDBConnection, DuckDBInstance, type DuckDBValue } from '@duckdb/node-api';
import { NotAvailableError } from '../../errors.js';

/** Positional (`?`) or named (`$name`) parameters. Lists: wrap with `listValue` from `@duckdb/node-api`. */
export type DuckDbParams = DuckDBValue[] | Record<string, DuckDBValue>;

/** What a caller can do on the shared connection, inside or outside a transaction. */
export interface DuckDbSession {
  /** Runs a statement; resolves to the number of rows it changed (0 for statements with RETURNING). */
  run(sql: string, params?: DuckDbParams): Promise<number>;
  /**
   * Runs a query and returns its rows as plain JS objects (`getRowObjectsJS`): INTEGER/DOUBLE → number,
   * BIGINT/HUGEINT → bigint, VARCHAR/JSON → string, TIMESTAMP → Date, NULL → null. Cast in SQL if you need another type.
   */
  all<T = Record<string, unknown>>(sql: string, params?: DuckDbParams): Promise<T[]>;
  /**
   * Appends rows with DuckDB's appender (the fast path for bulk inserts). Each row lists the table's columns
   * in order; values are converted to the column types. Constraint violations fail the whole call.
   */
  appendRows(table: string, rows: ReadonlyArray<ReadonlyArray<DuckDBValue>>): Promise<number>;
}

/**
 * One DuckDB database file, one connection, every call serialized through a promise queue: DuckDB allows one
 * writer process per file, and one connection keeps statements from interleaving. Shared by the Store
 * (documents, audit trail, seen keys) and the queries engine (event history) so both live in one file.
 */
export interface DuckDbHandle extends DuckDbSession {
  /** The file path, or `:memory:`. */
  readonly path: string;
  /**
   * Runs `work` alone on the connection inside BEGIN … COMMIT (ROLLBACK on throw). Use the session it is given,
   * not the handle (calls on the handle wait for the transaction and would deadlock).
   */
  transaction<T>(work: (tx: DuckDbSession) => Promise<T>): Promise<T>;
  /** Waits for queued work, then closes the connection and the instance. Further calls reject. */
  close(): Promise<void>;
}

/** Opens (creating the parent directory and the file if needed) a DuckDB database. `:memory:` for tests. */
export async function openDuckDb(path: string): Promise<DuckDbHandle> {
  if (path !== ':memory:') await mkdir(dirname(path), { recursive: true });
  let instance: DuckDBInstance;
  try {
    instance = await DuckDBInstance.create(path);
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    if (/Could not set lock/i.test(message)) {
      const holder = /PID (\d+)/.exec(message)?.[1];
      throw new NotAvailableError(
        `the database ${path}`,
        `another process${holder ? ` (PID ${holder})` : ''} has it open; DuckDB allows one process per file. Stop the other kv-warden or set store.duckdb to another file`,
      );
    }
    throw err;
  }
  const connection = await instance.connect();
  return new QueuedDuckDb(path, instance, connection);
}

function sessionOver(connection: DuckDBConnection): DuckDbSession {
  return {
    async run(sql, params) {
      const result = await connection.run(sql, params);
      return result.rowsChanged;
    },
    async all<T>(sql: string, params?: DuckDbParams) {
      const reader = await connection.runAndReadAll(sql, params);
      return reader.getRowObjectsJS() as T[];
    },
    async appendRows(table, rows) {
      const appender = await connection.createAppender(table);
      try {
        const types = Array.from({ length: appender.columnCount }, (_, i) => appender.columnType(i));
        for (const row of rows) {
          row.forEach((value, i) => {
            if (value === null) appender.appendNull();
            else appender.appendValue(value, types[i]);
          });
          appender.endRow();
        }
        appender.flushSync();
      } finally {
        appender.closeSync();
      }
      return rows.length;
    },
  };
}

class QueuedDuckDb implements DuckDbHandle {
  private tail: Promise<unknown> = Promise.resolve();
  private closed = false;
  private readonly session: DuckDbSession;

  constructor(
    readonly path: string,
    private readonly instance: DuckDBInstance,
    private readonly connection: DuckDBConnection,
  ) {
    this.session = sessionOver(connection);
  }

  /** Queues work behind everything already queued; a failure does not block later work. */
  private enqueue<T>(work: () => Promise<T>): Promise<T> {
    if (this.closed) return Promise.reject(new Error(`DuckDB ${this.path} is closed`));
    const next = this.tail.then(work, work);
    this.tail = next.catch(() => undefined);
    return next;
  }

  run(sql: string, params?: DuckDbParams): Promise<number> {
    return this.enqueue(() => this.session.run(sql, params));
  }

  all<T = Record<string, unknown>>(sql: string, params?: DuckDbParams): Promise<T[]> {
    return this.enqueue(() => this.session.all<T>(sql, params));
  }

  appendRows(table: string, rows: ReadonlyArray<ReadonlyArray<DuckDBValue>>): Promise<number> {
    return this.enqueue(() => this.session.appendRows(table, rows));
  }

  transaction<T>(work: (tx: DuckDbSession) => Promise<T>): Promise<T> {
    return this.enqueue(async () => {
      await this.connection.run('BEGIN TRANSACTION');
      try {
        const result = await work(this.session);
        await this.connection.run('COMMIT');
        return result;
      } catch (err) {
        await this.connection.run('ROLLBACK').catch(() => undefined);
        throw err;
      }
    });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    const drained = this.tail;
    this.closed = true;
    await drained;
    this.connection.closeSync();
    this.instance.closeSync();
  }
}
