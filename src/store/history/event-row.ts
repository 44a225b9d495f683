import type { AuditEvent } from '../../audit/audit-event.js';

export type EventRow = [
  number,
  string,
  string,
  number,
  string,
  string,
  string,
  string,
  string,
  string,
  string,
  string,
  string,
  string,
  string,
  string,
];

const HOUR_MS = 3_600_000;

/** One kvw_events row for an AuditEvent, column order as in HISTORY_DDL. Identity strings in lower case. */
export function toEventRow(e: AuditEvent): EventRow {
  const lower = (s: string | undefined) => (s ?? '').toLowerCase();
  return [
    e.timeMs,
    lower(e.vault),
    e.operation,
    e.status ?? 0,
    lower(e.principal),
    lower(e.identity.objectId),
    lower(e.identity.upn),
    lower(e.identity.appId),
    lower(e.ip),
    e.requestUri ?? '',
    e.networkAcls?.defaultAction ?? '',
    e.addedIpRule ?? '',
    e.removedIpRule ?? '',
    lower(e.addedAccessPolicy?.objectId),
    lower(e.removedAccessPolicy?.objectId),
    e.key,
  ];
}

/** The event key of a row (its last column). */
export function eventKeyOf(row: EventRow): string {
  return row[15];
}

export type RollupRow = [
  string,
  number,
  string,
  string,
  string,
  string,
  string,
  string,
  number,
  number,
  number,
  number,
];

/** Hourly counts of a batch of event rows, keyed like the rollup's primary key. */
export function rollupOf(rows: readonly EventRow[]): RollupRow[] {
  const groups = new Map<string, RollupRow>();
  for (const r of rows) {
    const [timeMs, vault, operation, status, principal, objectId, upn, appId, ip] = r;
    const hourMs = Math.floor(timeMs / HOUR_MS) * HOUR_MS;
    const key = JSON.stringify([vault, hourMs, principal, objectId, upn, appId, ip, operation, status]);
    const g = groups.get(key);
    if (g) {
      g[9] += 1;
      g[10] = Math.min(g[10], timeMs);
      g[11] = Math.max(g[11], timeMs);
    } else
      groups.set(key, [
        vault,
        hourMs,
        principal,
        objectId,
        upn,
        appId,
        ip,
        operation,
        status,
        1,
        timeMs,
        timeMs,
      ]);
  }
  return [...groups.values()];
}
