import { listValue } from '@duckdb/node-api';
import type { AuditEvent } from '../../audit/audit-event.js';
import type { HistorySql } from '../../queries/ports.js';
import { EVENTS_TABLE, ROLLUP_TABLE } from '../../queries/sql-source.js';
import type { Clock } from '../../util/clock.js';
import type { DuckDbHandle, DuckDbSession } from '../duckdb/open-duckdb.js';
import { type EventRow, eventKeyOf, rollupOf, toEventRow } from './event-row.js';
import { HISTORY_DDL, MERGE_STAGE, ROLLUP_FROM_EVENTS, ROLLUP_STAGE_TABLE } from './history-schema.js';

const HOUR_MS = 3_600_000;
/** Keys per existence lookup in `append` (one list parameter). */
const LOOKUP_CHUNK = 20_000;

export interface EventHistoryOptions {
  /** `queries.retention`: how long events are kept. */
  readonly retentionMs: number;
  readonly clock: Clock;
}

/**
 * The embedded audit-event history the canned queries read (SQL), on the shared DuckDB handle.
 * The intake pipeline calls `append` from its onAccepted hook with events already de-duplicated by key.
 */
export class EventHistory implements HistorySql {
  private constructor(
    private readonly db: DuckDbHandle,
    private readonly options: EventHistoryOptions,
  ) {}

  /** Creates the tables if needed. */
  static async open(db: DuckDbHandle, options: EventHistoryOptions): Promise<EventHistory> {
    for (const ddl of HISTORY_DDL) await db.run(ddl);
    return new EventHistory(db, options);
  }

  /**
   * Appends events (DuckDB appender) and merges their hourly counts into the rollup, in one transaction:
   * either both tables see the batch or neither does. Idempotent by event key: events already in the
   * history (a batch delivered again after a crash before the intake checkpoint) and repeats within the
   * batch are skipped, so counts never double. Returns the number of events added.
   */
  async append(events: readonly AuditEvent[]): Promise<number> {
    if (events.length === 0) return 0;
    const unique = new Map<string, EventRow>();
    for (const e of events) if (!unique.has(e.key)) unique.set(e.key, toEventRow(e));
    return this.db.transaction(async (tx) => {
      const present = await presentKeys(tx, [...unique.values()]);
      const rows =
        present.size === 0
          ? [...unique.values()]
          : [...unique.values()].filter((r) => !present.has(eventKeyOf(r)));
      if (rows.length === 0) return 0;
      await tx.appendRows(EVENTS_TABLE, rows);
      await tx.appendRows(ROLLUP_STAGE_TABLE, rollupOf(rows));
      await tx.run(MERGE_STAGE);
      await tx.run(`DELETE FROM ${ROLLUP_STAGE_TABLE}`);
      return rows.length;
    });
  }

  /**
   * Drops events older than the retention (rounded down to the hour so the rollup and the raw events agree).
   * Returns the number of raw events removed.
   */
  async prune(): Promise<number> {
    const cutoff = Math.floor((this.options.clock.now() - this.options.retentionMs) / HOUR_MS) * HOUR_MS;
    return this.db.transaction(async (tx) => {
      const removed = await tx.run(`DELETE FROM ${EVENTS_TABLE} WHERE time_ms < $cutoff`, { cutoff });
      await tx.run(`DELETE FROM ${ROLLUP_TABLE} WHERE hour_ms < $cutoff`, { cutoff });
      return removed;
    });
  }

  /** Recomputes the rollup from raw events (after a bulk load straight into kvw_events). */
  async rebuildRollup(): Promise<void> {
    await this.db.transaction(async (tx) => {
      await tx.run(`DELETE FROM ${ROLLUP_TABLE}`);
      await tx.run(ROLLUP_FROM_EVENTS);
    });
  }

  async count(): Promise<number> {
    const [row] = await this.db.all<{ n: bigint }>(`SELECT count(*) AS n FROM ${EVENTS_TABLE}`);
    return Number(row?.n ?? 0);
  }

  /** Read-only SQL with bound parameters (the canned queries). */
  all(sql: string, params: Record<string, string | number>): Promise<Record<string, unknown>[]> {
    // Integers go in as BIGINT so comparisons with time_ms stay integer (and zone maps keep pruning).
    const bound = Object.fromEntries(
      Object.entries(params).map(([k, v]) => [
        k,
        typeof v === 'number' && Number.isInteger(v) ? BigInt(v) : v,
      ]),
    );
    return this.db.all(sql, bound);
  }
}

/**
 * The event keys of `rows` already in the history. An event key hashes the event time, so a stored copy has
 * the same time_ms: the batch's time range lets zone maps skip the row groups of other periods, where a
 * lookup by key alone would scan the whole retention.
 */
async function presentKeys(tx: DuckDbSession, rows: readonly EventRow[]): Promise<Set<string>> {
  const present = new Set<string>();
  for (let i = 0; i < rows.length; i += LOOKUP_CHUNK) {
    const chunk = rows.slice(i, i + LOOKUP_CHUNK);
    let lo = Number.POSITIVE_INFINITY;
    let hi = Number.NEGATIVE_INFINITY;
    for (const r of chunk) {
      if (r[0] < lo) lo = r[0];
      if (r[0] > hi) hi = r[0];
    }
    const found = await tx.all<{ event_key: string }>(
      `SELECT event_key FROM ${EVENTS_TABLE}
       WHERE time_ms BETWEEN $lo AND $hi AND event_key IN (SELECT unnest($keys::VARCHAR[]))`,
      {
        lo: BigInt(Math.trunc(lo)),
        hi: BigInt(Math.trunc(hi)),
        keys: listValue(chunk.map(eventKeyOf)),
      },
    );
    for (const f of found) present.add(f.event_key);
  }
  return present;
}
