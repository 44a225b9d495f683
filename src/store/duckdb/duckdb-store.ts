import { listValue } from '@duckdb/node-api';
import { ConflictError } from '../../errors.js';
import type { AuditTrailEntry, Store, Versioned } from '../store.js';
import { type DuckDbHandle, openDuckDb } from './open-duckdb.js';

const SCHEMA = [
  `CREATE TABLE IF NOT EXISTS store_documents (
     collection VARCHAR NOT NULL,
     id VARCHAR NOT NULL,
     version INTEGER NOT NULL,
     body JSON NOT NULL,
     PRIMARY KEY (collection, id))`,
  'CREATE SEQUENCE IF NOT EXISTS store_audit_seq',
  `CREATE TABLE IF NOT EXISTS store_audit_trail (
     seq BIGINT PRIMARY KEY DEFAULT nextval('store_audit_seq'),
     subject VARCHAR NOT NULL,
     at_iso VARCHAR NOT NULL,
     actor VARCHAR NOT NULL,
     action VARCHAR NOT NULL,
     detail VARCHAR,
     via VARCHAR)`,
  'CREATE INDEX IF NOT EXISTS store_audit_subject ON store_audit_trail (subject)',
  `CREATE TABLE IF NOT EXISTS store_seen_keys (
     key VARCHAR PRIMARY KEY,
     time_ms BIGINT NOT NULL)`,
];

/** Keys per INSERT in markSeen: large enough to amortise the statement, small enough to bound memory. */
const SEEN_CHUNK = 20_000;

/**
 * The embedded Store: one DuckDB file. Every statement goes through the handle's single connection queue,
 * and each conditional write is one statement whose changed-row count decides the outcome.
 */
export class DuckDbStore implements Store {
  private constructor(
    private readonly db: DuckDbHandle,
    private readonly ownsHandle: boolean,
  ) {}

  /** Opens the file at `path` (parent directory created) and owns it: `close()` closes the file. */
  static async open(path: string): Promise<DuckDbStore> {
    const db = await openDuckDb(path);
    try {
      return await DuckDbStore.over(db, { ownsHandle: true });
    } catch (err) {
      await db.close();
      throw err;
    }
  }

  /** Uses a shared handle (e.g. also used by the event history); `close()` leaves it open unless `ownsHandle`. */
  static async over(db: DuckDbHandle, options: { ownsHandle?: boolean } = {}): Promise<DuckDbStore> {
    for (const sql of SCHEMA) await db.run(sql);
    return new DuckDbStore(db, options.ownsHandle ?? false);
  }

  async get<T>(collection: string, id: string): Promise<Versioned<T> | undefined> {
    const rows = await this.db.all<{ version: number; body: string }>(
      'SELECT version, body FROM store_documents WHERE collection = ? AND id = ?',
      [collection, id],
    );
    const row = rows[0];
    return row ? { value: JSON.parse(row.body) as T, version: String(row.version) } : undefined;
  }

  async create<T>(collection: string, id: string, value: T): Promise<Versioned<T> | undefined> {
    const body = JSON.stringify(value);
    const rows = await this.db.all(
      `INSERT INTO store_documents (collection, id, version, body) VALUES (?, ?, 1, ?)
       ON CONFLICT DO NOTHING RETURNING version`,
      [collection, id, body],
    );
    return rows.length === 1 ? { value: JSON.parse(body) as T, version: '1' } : undefined;
  }

  async update<T>(collection: string, id: string, value: T, expectedVersion: string): Promise<Versioned<T>> {
    const expected = parseVersion(expectedVersion);
    const body = JSON.stringify(value);
    const changed =
      expected === undefined
        ? 0
        : await this.db.run(
            `UPDATE store_documents SET body = ?, version = version + 1
             WHERE collection = ? AND id = ? AND version = ?`,
            [body, collection, id, expected],
          );
    if (changed !== 1) throw new ConflictError(`${collection}/${id}`);
    return { value: JSON.parse(body) as T, version: String((expected as number) + 1) };
  }

  async delete(collection: string, id: string, expectedVersion?: string): Promise<void> {
    if (expectedVersion === undefined) {
      await this.db.run('DELETE FROM store_documents WHERE collection = ? AND id = ?', [collection, id]);
      return;
    }
    const expected = parseVersion(expectedVersion);
    await this.db.transaction(async (tx) => {
      const rows = await tx.all<{ version: number }>(
        'SELECT version FROM store_documents WHERE collection = ? AND id = ?',
        [collection, id],
      );
      const row = rows[0];
      if (!row) return;
      if (row.version !== expected) throw new ConflictError(`${collection}/${id}`);
      await tx.run('DELETE FROM store_documents WHERE collection = ? AND id = ?', [collection, id]);
    });
  }

  async list<T>(
    collection: string,
    options: { prefix?: string; limit?: number } = {},
  ): Promise<Array<Versioned<T> & { id: string }>> {
    const params: Array<string | number> = [collection];
    let sql = 'SELECT id, version, body FROM store_documents WHERE collection = ?';
    if (options.prefix !== undefined && options.prefix !== '') {
      sql += ' AND starts_with(id, ?)';
      params.push(options.prefix);
    }
    sql += ' ORDER BY id';
    if (options.limit !== undefined) {
      sql += ' LIMIT ?';
      params.push(Math.max(0, Math.floor(options.limit)));
    }
    const rows = await this.db.all<{ id: string; version: number; body: string }>(sql, params);
    return rows.map((r) => ({ id: r.id, value: JSON.parse(r.body) as T, version: String(r.version) }));
  }

  async appendAudit(entry: AuditTrailEntry): Promise<void> {
    await this.db.run(
      'INSERT INTO store_audit_trail (subject, at_iso, actor, action, detail, via) VALUES (?, ?, ?, ?, ?, ?)',
      [entry.subject, entry.at, entry.actor, entry.action, entry.detail ?? null, entry.via ?? null],
    );
  }

  async listAudit(subject: string): Promise<AuditTrailEntry[]> {
    const rows = await this.db.all<{
      subject: string;
      at: string;
      actor: string;
      action: string;
      detail: string | null;
      via: string | null;
    }>(
      'SELECT subject, at_iso AS at, actor, action, detail, via FROM store_audit_trail WHERE subject = ? ORDER BY seq',
      [subject],
    );
    return rows.map((r) => ({
      subject: r.subject,
      at: r.at,
      actor: r.actor,
      action: r.action,
      ...(r.detail === null ? {} : { detail: r.detail }),
      ...(r.via === null ? {} : { via: r.via }),
    }));
  }

  async markSeen(keys: ReadonlyArray<{ key: string; timeMs: number }>): Promise<Set<string>> {
    const unique = new Map<string, number>();
    for (const { key, timeMs } of keys) if (!unique.has(key)) unique.set(key, timeMs);
    const fresh = new Set<string>();
    const entries = [...unique];
    for (let i = 0; i < entries.length; i += SEEN_CHUNK) {
      const chunk = entries.slice(i, i + SEEN_CHUNK);
      const rows = await this.db.all<{ key: string }>(
        `INSERT INTO store_seen_keys (key, time_ms)
         SELECT unnest(?::VARCHAR[]), unnest(?::BIGINT[])
         ON CONFLICT DO NOTHING RETURNING key`,
        [listValue(chunk.map(([k]) => k)), listValue(chunk.map(([, t]) => BigInt(Math.trunc(t))))],
      );
      for (const r of rows) fresh.add(r.key);
    }
    return fresh;
  }

  async filterUnseen(keys: ReadonlyArray<{ key: string; timeMs: number }>): Promise<Set<string>> {
    const unseen = new Set<string>();
    for (const { key } of keys) unseen.add(key);
    for (let i = 0; i < keys.length; i += SEEN_CHUNK) {
      const chunk = keys.slice(i, i + SEEN_CHUNK);
      let lo = Number.POSITIVE_INFINITY;
      let hi = Number.NEGATIVE_INFINITY;
      for (const { timeMs } of chunk) {
        if (timeMs < lo) lo = timeMs;
        if (timeMs > hi) hi = timeMs;
      }
      // A key is stored with its event time, and rows arrive roughly in time order: the time range lets
      // zone maps skip most row groups, where a lookup by key alone would scan the whole table.
      const rows = await this.db.all<{ key: string }>(
        `SELECT key FROM store_seen_keys
         WHERE time_ms BETWEEN ? AND ? AND key IN (SELECT unnest(?::VARCHAR[]))`,
        [BigInt(Math.trunc(lo)), BigInt(Math.trunc(hi)), listValue(chunk.map((k) => k.key))],
      );
      for (const r of rows) unseen.delete(r.key);
    }
    return unseen;
  }

  async pruneSeen(beforeMs: number): Promise<number> {
    return this.db.run('DELETE FROM store_seen_keys WHERE time_ms < ?', [BigInt(Math.trunc(beforeMs))]);
  }

  async close(): Promise<void> {
    if (this.ownsHandle) await this.db.close();
  }
}

function parseVersion(version: string): number | undefined {
  return /^\d{1,9}$/.test(version) ? Number(version) : undefined;
}
