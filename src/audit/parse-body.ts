/**
 * Audit data arriving as a message (Service Bus, Event Hub): Buffer / Uint8Array / string /
 * already-parsed value, holding a `{"records":[…]}` body, one Event Grid event or CloudEvent
 * (Service Bus delivers one per message), a record, or an array of any of these. A text body
 * is read like a file: JSON Lines, or JSON documents streamed element by element.
 */
import { isUtf8 } from 'node:buffer';
import type { AuditItem, MalformedRecord } from './audit-event.js';
import { bomLength, detectFormat } from './detect-format.js';
import { dispatchValue, type ParseOutput } from './dispatch-value.js';
import { JsonLinesParser } from './line-parser.js';
import { JsonValueSplitter } from './value-splitter.js';

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
    parseBytes(data, out);
  } else if (typeof body === 'string') {
    parseBytes(Buffer.from(body.charCodeAt(0) === 0xfeff ? body.slice(1) : body, 'utf8'), out);
  } else if (body === null || body === undefined) {
    malformed.push({ source, line: 1, reason: 'empty message body' });
  } else {
    dispatchValue(body, 1, out);
  }
  return { items: out.items, malformed };
}

/**
 * One JSON document (the usual body) is parsed natively in one go; anything else goes through the
 * file readers, so bad records are reported at their line and a truncated body is named as such.
 */
function parseBytes(data: Buffer, out: ParseOutput): void {
  let value: unknown;
  let parsed = false;
  try {
    value = JSON.parse(data.toString('utf8'));
    parsed = true;
  } catch {
    // not one JSON document
  }
  if (parsed) {
    dispatchValue(value, 1, out);
    return;
  }
  if (detectFormat(data, true) === 'json') {
    const splitter = new JsonValueSplitter(out);
    splitter.push(data);
    splitter.end();
    return;
  }
  const parser = new JsonLinesParser(out);
  parser.push(data);
  parser.end(true);
}
