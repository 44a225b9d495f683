import type { QueryName } from './query-spec.js';
import type { Cell } from './result.js';

type Row = Readonly<Record<string, Cell>>;

/** One column of the chat table: a short title and how to show a row's value. */
export interface CardColumn {
  readonly title: string;
  readonly width: number;
  value(row: Row): string;
}

const s = (v: Cell | undefined) => (v === undefined ? '' : String(v));
/** `06-02 09:15` (UTC): compact enough for a chat table. */
export const shortTime = (v: Cell | undefined) => {
  const text = s(v);
  return text.length >= 16 ? `${text.slice(5, 10)} ${text.slice(11, 16)}` : text;
};
const who = (r: Row) => s(r.Upn) || s(r.Principal);
const path = (uri: Cell | undefined) => s(uri).replace(/^https?:\/\/[^/]+/i, '') || s(uri);
const col = (title: string, width: number, value: (r: Row) => string): CardColumn => ({
  title,
  width,
  value,
});

function change(r: Row): string {
  const parts: string[] = [];
  if (s(r.NetworkDefaultAction)) parts.push(`firewall ${s(r.NetworkDefaultAction)}`);
  if (s(r.AddedIpRule)) parts.push(`+ip ${s(r.AddedIpRule)}`);
  if (s(r.RemovedIpRule)) parts.push(`-ip ${s(r.RemovedIpRule)}`);
  if (s(r.AddedAccessPolicy)) parts.push(`+policy ${s(r.AddedAccessPolicy)}`);
  if (s(r.RemovedAccessPolicy)) parts.push(`-policy ${s(r.RemovedAccessPolicy)}`);
  return parts.join('; ') || 'other settings';
}

/** The few columns each query shows in chat (the CLI and JSON keep them all). */
export const CARD_COLUMNS: Readonly<Record<QueryName, readonly CardColumn[]>> = {
  who: [
    col('Principal', 4, who),
    col('Ops', 1, (r) => s(r.Operations)),
    col('OK', 1, (r) => s(r.Succeeded)),
    col('Failed', 1, (r) => s(r.Failed)),
    col('IPs', 3, (r) => s(r.Ips)),
    col('Last seen', 2, (r) => shortTime(r.LastSeen)),
  ],
  ips: [
    col('IP', 3, (r) => s(r.CallerIp)),
    col('Requests', 1, (r) => s(r.Requests)),
    col('Failed', 1, (r) => s(r.Failed)),
    col('Principals', 4, (r) => s(r.Principals)),
    col('Last seen', 2, (r) => shortTime(r.LastSeen)),
  ],
  failures: [
    col('Operation', 2, (r) => s(r.OperationName)),
    col('Status', 1, (r) => s(r.Status)),
    col('Request', 4, (r) => path(r.RequestUri)),
    col('Count', 1, (r) => s(r.Count)),
    col('Principals', 3, (r) => s(r.Principals)),
  ],
  ops: [
    col('Operation', 3, (r) => s(r.OperationName)),
    col('Status', 1, (r) => s(r.Status)),
    col('Outcome', 1, (r) => s(r.Outcome)),
    col('Count', 1, (r) => s(r.Count)),
  ],
  changes: [
    col('Time', 2, (r) => shortTime(r.TimeGenerated)),
    col('Who', 3, who),
    col('Operation', 2, (r) => s(r.OperationName)),
    col('Status', 1, (r) => s(r.Status)),
    col('Change', 4, change),
  ],
  'new-callers': [
    col('Principal', 4, who),
    col('Ops', 1, (r) => s(r.Operations)),
    col('IPs', 3, (r) => s(r.Ips)),
    col('First seen', 2, (r) => shortTime(r.FirstSeen)),
  ],
  caller: [
    col('Vault', 3, (r) => s(r.Vault)),
    col('Operation', 2, (r) => s(r.OperationName)),
    col('Status', 1, (r) => s(r.Status)),
    col('Count', 1, (r) => s(r.Count)),
    col('Last seen', 2, (r) => shortTime(r.LastSeen)),
  ],
};
