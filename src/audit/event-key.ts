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

const HEX = '0123456789abcdef';
/** Char codes of the two hex digits of each byte value. */
const HIGH_DIGIT = Uint8Array.from({ length: 256 }, (_, b) => HEX.charCodeAt(b >> 4));
const LOW_DIGIT = Uint8Array.from({ length: 256 }, (_, b) => HEX.charCodeAt(b & 15));
/** The key's characters are written here, then read out as one string (reused: one key at a time). */
const keyChars = Buffer.alloc(32);

/** 32 hex chars (the first 16 bytes) of sha256 over the joined identity fields. */
export function eventKey(e: EventKeyFields): string {
  // join writes the text once; a template literal would first build a chain of partial strings
  const text = [
    timeText(e.timeMs),
    e.vault,
    lowerOperation(e.operation),
    e.correlationId ?? '',
    e.requestUri?.toLowerCase() ?? '',
    e.ip?.toLowerCase() ?? '',
    e.principal,
    e.status ?? '',
  ].join('\n');
  // One-shot crypto.hash (a third of the cost of createHash().update().digest()), as raw bytes ("binary"
  // = latin1), written out as one flat string: `hex.slice(0, 32)` would be a slice that keeps the
  // whole 64-digit digest alive for as long as the key (events wait with their keys in the engine).
  const digest = hash('sha256', text, 'binary');
  for (let i = 0; i < 16; i++) {
    const byte = digest.charCodeAt(i);
    keyChars[2 * i] = HIGH_DIGIT[byte]!;
    keyChars[2 * i + 1] = LOW_DIGIT[byte]!;
  }
  return keyChars.toString('latin1', 0, 32);
}
