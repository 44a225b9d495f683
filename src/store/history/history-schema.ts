import { EVENTS_TABLE, ROLLUP_TABLE } from '../../queries/sql-source.js';

/** Staging table for one append's hourly counts before they are merged into the rollup. */
export const ROLLUP_STAGE_TABLE = 'kvw_rollup_stage';

/**
 * Event history DDL. Strings are NOT NULL with '' for "absent" and status 0 for "no HTTP status", which
 * keeps the rollup's primary key total and matches the normalized KQL source. Rows arrive roughly in time
 * order, so DuckDB's per-block min/max (zone maps) on time_ms prune period scans without an index.
 */
export const HISTORY_DDL = [
  `CREATE TABLE IF NOT EXISTS ${EVENTS_TABLE} (
    time_ms BIGINT NOT NULL,
    vault VARCHAR NOT NULL,
    operation VARCHAR NOT NULL,
    status SMALLINT NOT NULL,
    principal VARCHAR NOT NULL,
    object_id VARCHAR NOT NULL,
    upn VARCHAR NOT NULL,
    app_id VARCHAR NOT NULL,
    ip VARCHAR NOT NULL,
    request_uri VARCHAR NOT NULL,
    network_default_action VARCHAR NOT NULL,
    added_ip_rule VARCHAR NOT NULL,
    removed_ip_rule VARCHAR NOT NULL,
    added_policy VARCHAR NOT NULL,
    removed_policy VARCHAR NOT NULL,
    event_key VARCHAR NOT NULL
  )`,
  `CREATE TABLE IF NOT EXISTS ${ROLLUP_TABLE} (
    vault VARCHAR NOT NULL,
    hour_ms BIGINT NOT NULL,
    principal VARCHAR NOT NULL,
    object_id VARCHAR NOT NULL,
    upn VARCHAR NOT NULL,
    app_id VARCHAR NOT NULL,
    ip VARCHAR NOT NULL,
    operation VARCHAR NOT NULL,
    status SMALLINT NOT NULL,
    cnt BIGINT NOT NULL,
    first_ms BIGINT NOT NULL,
    last_ms BIGINT NOT NULL,
    PRIMARY KEY (vault, hour_ms, principal, object_id, upn, app_id, ip, operation, status)
  )`,
  `CREATE TABLE IF NOT EXISTS ${ROLLUP_STAGE_TABLE} (
    vault VARCHAR, hour_ms BIGINT, principal VARCHAR, object_id VARCHAR, upn VARCHAR, app_id VARCHAR,
    ip VARCHAR, operation VARCHAR, status SMALLINT, cnt BIGINT, first_ms BIGINT, last_ms BIGINT
  )`,
];

/**
 * Rebuilds rollup rows from raw events (bulk loads, repair), written in hour order so the rollup's zone maps
 * on hour_ms let a one-day query skip the other days of a long retention.
 */
export const ROLLUP_FROM_EVENTS = `INSERT INTO ${ROLLUP_TABLE}
  SELECT vault, (time_ms // 3600000) * 3600000 AS hour_ms, principal, object_id, upn, app_id, ip, operation, status,
    count(*) AS cnt, min(time_ms) AS first_ms, max(time_ms) AS last_ms
  FROM ${EVENTS_TABLE}
  GROUP BY vault, hour_ms, principal, object_id, upn, app_id, ip, operation, status
  ORDER BY hour_ms, vault`;

export const MERGE_STAGE = `INSERT INTO ${ROLLUP_TABLE} SELECT * FROM ${ROLLUP_STAGE_TABLE}
  ON CONFLICT DO UPDATE SET cnt = ${ROLLUP_TABLE}.cnt + excluded.cnt,
    first_ms = least(${ROLLUP_TABLE}.first_ms, excluded.first_ms),
    last_ms = greatest(${ROLLUP_TABLE}.last_ms, excluded.last_ms)`;
