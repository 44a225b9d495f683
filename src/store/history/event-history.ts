import type { AuditEvent } from '../../audit/audit-event.js';
import type { HistorySql } from '../../queries/ports.js';
import { EVENTS_TABLE, ROLLUP_TABLE } from '../../queries/sql-source.js';
import type { Clock } from '../../util/clock.js';
import type { DuckDbHandle } from '../duckdb/open-duckdb.js';
import { rollupOf, toEventRow } from './event-row.js';
import { HISTORY_DDL, MERGE_STAGE, ROLLUP_FROM_EVENTS, ROLLUP_STAGE_TABLE } from './history-schema.js';

const HOUR_MS = 3_600_000;

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
   * either both tables see the batch or neither does.
   */
  async append(events: readonly AuditEvent[]): Promise<number> {
    if (events.length === 0) return 0;
    const rows = events.map(toEventRow);
    const rollup = rollupOf(rows);
    await this.db.transaction(async (tx) => {
      await tx.appendRows(EVENTS_TABLE, rows);
      await tx.appendRows(ROLLUP_STAGE_TABLE, rollup);
      await tx.run(MERGE_STAGE);
      await tx.run(`DELETE FROM ${ROLLUP_STAGE_TABLE}`);
    });
    return rows.length;
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
