/**
 * The stable event key: a hash of the normalized identity fields, chosen so that one event read
 * twice, or in two shapes (blob record, AzureDiagnostics row, AZKVAuditLogs row), gets one key.
 * Time is taken at millisecond precision because exports may shorten Azure's 7 fractional digits.
 */
import { createHash } from 'node:crypto';
import type { AuditEvent } from './audit-event.js';

export type EventKeyFields = Pick<
  AuditEvent,
  'timeMs' | 'vault' | 'operation' | 'correlationId' | 'requestUri' | 'ip' | 'principal' | 'status'
>;

/** 32 hex chars of sha256 over the joined identity fields. */
export function eventKey(e: EventKeyFields): string {
  const text = [
    e.timeMs,
    e.vault,
    e.operation.toLowerCase(),
    e.correlationId ?? '',
    e.requestUri?.toLowerCase() ?? '',
    e.ip?.toLowerCase() ?? '',
    e.principal,
    e.status ?? '',
  ].join('\n');
  return createHash('sha256').update(text).digest('hex').slice(0, 32);
}
