/**
 * The stable event key: a hash of the normalized identity fields, chosen so that one event read
 * twice, or in two shapes (blob record, AzureDiagnostics row, AZKVAuditLogs row), gets one key.
 * Time is taken at millisecond precision because exports may shorten Azure's 7 fractional digits.
 */
import { hash } from 'node:crypto';
import type { AuditEvent } from './audit-event.js';

export type EventKeyFields = Pick<
  AuditEvent,
  'timeMs' | 'vault' | 'operation' | 'correlationId' | 'requestUri' | 'ip' | 'principal' | 'status'
>;

const lowered = new Map<string, string>();
/** Operation names repeat on every record: lower-case each distinct one once (bounded). */
function lowerOperation(op: string): string {
  let low = lowered.get(op);
  if (low === undefined) {
    if (lowered.size >= 1024) lowered.clear();
    low = op.toLowerCase();
    lowered.set(op, low);
  }
  return low;
}

/**
 * `String(ms)` for an epoch-millisecond time, without the slow double-to-text path: current times
 * exceed the small-integer range, so they are written as two small integers (same digits).
 */
function timeText(ms: number): string {
  const high = Math.floor(ms / 1e7);
  const low = ms - high * 1e7;
  if (high > 0 && high < 0x40000000 && low >= 0 && low < 1e7 && Number.isInteger(low))
    return `${high}${`${low + 1e7}`.slice(1)}`;
  return `${ms}`;
}

/** 32 hex chars of sha256 over the joined identity fields. */
export function eventKey(e: EventKeyFields): string {
  const text = `${timeText(e.timeMs)}\n${e.vault}\n${lowerOperation(e.operation)}\n${e.correlationId ?? ''}\n${
    e.requestUri?.toLowerCase() ?? ''
  }\n${e.ip?.toLowerCase() ?? ''}\n${e.principal}\n${e.status ?? ''}`;
  // one-shot crypto.hash: a third of the cost of createHash().update().digest() per record
  return hash('sha256', text, 'hex').slice(0, 32);
}
