/**
 * Turns one parsed JSON value into audit items. A value may be a record (any shape), an Event
 * Grid / CloudEvents Key Vault event, an Event Hub body `{"records":[…]}`, or an array of those.
 * Anything else is reported as malformed; nothing here throws.
 */
import type { AuditItem, MalformedRecord } from './audit-event.js';
import { isObject } from './field-values.js';
import { MalformedRecordError } from './malformed-record-error.js';
import { normalizeRecord } from './normalize.js';
import { isCloudEvent, isEventGridEvent, normalizeNotice } from './normalize-notice.js';

/** Where parsers put their results: items in order, malformed records reported as found. */
export interface ParseOutput {
  readonly items: AuditItem[];
  readonly source: string;
  malformed(m: MalformedRecord): void;
}

export function reasonOf(err: unknown): string {
  if (err instanceof MalformedRecordError) return err.reason;
  if (err instanceof RangeError) return 'too deeply nested';
  if (err instanceof Error) return err.message;
  return String(err);
}

function typeName(v: unknown): string {
  return v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v;
}

function dispatchOne(v: unknown, line: number, out: ParseOutput): void {
  if (!isObject(v)) {
    out.malformed({ source: out.source, line, reason: `expected a JSON object, got ${typeName(v)}` });
    return;
  }
  try {
    if (isCloudEvent(v) || isEventGridEvent(v))
      out.items.push({ kind: 'notice', notice: normalizeNotice(v) });
    else out.items.push({ kind: 'audit', event: normalizeRecord(v) });
  } catch (err) {
    out.malformed({ source: out.source, line, reason: reasonOf(err) });
  }
}

/** Dispatch a parsed value found at `line`. Arrays nest one level only. */
export function dispatchValue(v: unknown, line: number, out: ParseOutput, nested = false): void {
  if (Array.isArray(v)) {
    if (nested) {
      out.malformed({ source: out.source, line, reason: 'expected a JSON object, got array' });
      return;
    }
    for (const el of v) dispatchValue(el, line, out, true);
    return;
  }
  if (isObject(v) && Array.isArray(v.records)) {
    for (const el of v.records) dispatchOne(el, line, out);
    return;
  }
  dispatchOne(v, line, out);
}

/** Parse UTF-8 JSON text and dispatch it, reporting syntax errors. */
export function dispatchText(text: string, line: number, out: ParseOutput): void {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (err) {
    out.malformed({ source: out.source, line, reason: jsonSyntaxReason(err) });
    return;
  }
  dispatchValue(v, line, out);
}

/** JSON.parse's message without the excerpt of the input V8 quotes (it could be anything). */
export function jsonSyntaxReason(err: unknown): string {
  if (err instanceof RangeError) return 'not valid JSON (too deeply nested)';
  const msg = err instanceof Error ? err.message : String(err);
  const clean = msg
    .replace(/, ".*"(\.\.\.)? is not valid JSON$/s, '')
    .replace(/ in JSON at position.*$/s, '');
  return `not valid JSON (${clean.slice(0, 120)})`;
}
