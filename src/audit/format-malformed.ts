import type { MalformedRecord } from './audit-event.js';

/** The one way a malformed record is shown: `file:line: reason`. */
export function formatMalformed(m: MalformedRecord): string {
  return `${m.source}:${m.line}: ${m.reason}`;
}
