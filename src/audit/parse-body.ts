/**
 * Audit data arriving as a message (Service Bus, Event Hub): Buffer / Uint8Array / string /
 * already-parsed value, holding a `{"records":[…]}` body, one Event Grid event or CloudEvent
 * (Service Bus delivers one per message), a record, or an array of any of these. A text body
 * that is not one JSON document is read as JSON Lines.
 */
import { isUtf8 } from 'node:buffer';
import type { AuditItem, MalformedRecord } from './audit-event.js';
import { bomLength } from './detect-format.js';
import { dispatchValue, type ParseOutput } from './dispatch-value.js';
import { JsonLinesParser } from './line-parser.js';

export function parseAuditBody(
  body: unknown,
  source: string,
): { items: AuditItem[]; malformed: MalformedRecord[] } {
  const malformed: MalformedRecord[] = [];
  const out: ParseOutput = { items: [], source, malformed: (m) => malformed.push(m) };
  if (body instanceof Uint8Array) {
    const buf = Buffer.from(body.buffer, body.byteOffset, body.byteLength);
    const data = buf.subarray(bomLength(buf));
    if (!isUtf8(data)) {
      malformed.push({ source, line: 1, reason: 'invalid UTF-8' });
      return { items: [], malformed };
    }
    parseText(data.toString('utf8'), out);
  } else if (typeof body === 'string') {
    parseText(body.charCodeAt(0) === 0xfeff ? body.slice(1) : body, out);
  } else if (body === null || body === undefined) {
    malformed.push({ source, line: 1, reason: 'empty message body' });
  } else {
    dispatchValue(body, 1, out);
  }
  return { items: out.items, malformed };
}

function parseText(text: string, out: ParseOutput): void {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    // not one JSON document: read it as JSON Lines (reports each bad line)
    const parser = new JsonLinesParser(out);
    parser.push(Buffer.from(text, 'utf8'));
    parser.end(true);
    return;
  }
  dispatchValue(value, 1, out);
}
