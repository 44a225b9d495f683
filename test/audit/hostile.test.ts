/**
 * Hostile input: every bad record is reported as `file:line: reason` and skipped, and every
 * valid record around it is still produced.
 */
import { describe, expect, it } from 'vitest';
import type { AuditItem, MalformedRecord } from '../../src/audit/audit-event.js';
import { formatMalformed } from '../../src/audit/format-malformed.js';
import { MalformedRecordError, normalizeRecord } from '../../src/audit/normalize.js';
import { parseAuditBody } from '../../src/audit/parse-body.js';
import { readAuditStream } from '../../src/audit/read-audit.js';
import {
  buildRecord,
  type RawRecord,
  toAzkvAuditLogsRow,
  toAzureDiagnosticsRow,
  toRecordsBlob,
} from '../fixtures/records.js';

async function read(
  data: Buffer,
  chunkSize = 64 * 1024,
  complete = true,
): Promise<{ items: AuditItem[]; reports: string[] }> {
  async function* chunks(): AsyncGenerator<Uint8Array> {
    for (let i = 0; i < data.length; i += chunkSize) yield data.subarray(i, i + chunkSize);
  }
  const malformed: MalformedRecord[] = [];
  const items: AuditItem[] = [];
  for await (const it of readAuditStream(chunks(), {
    source: 'PT1H.json',
    complete,
    onMalformed: (m) => malformed.push(m),
  })) {
    items.push(it);
  }
  return { items, reports: malformed.map(formatMalformed) };
}

const line = (r: unknown): string => `${JSON.stringify(r)}\n`;
const good = (n: number): string => line(buildRecord({ at: Date.UTC(2025, 5, 2, 9, 0, n) }));

describe('malformed JSON Lines records are reported and skipped', () => {
  it.each([
    ['a non-JSON line', 'this is not json\n', 'PT1H.json:2: not valid JSON (Unexpected token'],
    ['a record without time', line(buildRecord({ time: undefined })), 'PT1H.json:2: missing time'],
    [
      'time as a number',
      line(buildRecord({ time: 1748855405 })),
      'PT1H.json:2: time must be an ISO-8601 string',
    ],
    [
      'an invalid date',
      line(buildRecord({ time: '2025-02-30T10:00:00Z' })),
      'PT1H.json:2: time is not a valid date',
    ],
    ['time in prose', line(buildRecord({ time: 'yesterday' })), 'PT1H.json:2: time is not an ISO-8601 time'],
    [
      'a non-numeric status',
      line(buildRecord({ properties: { httpStatusCode: 'OK' } })),
      'PT1H.json:2: httpStatusCode must be a number',
    ],
    [
      'a non-numeric duration',
      line(buildRecord({ durationMs: 'fast' })),
      'PT1H.json:2: durationMs must be a number',
    ],
    [
      'an array as properties',
      line({ ...buildRecord(), properties: [1] }),
      'PT1H.json:2: properties must be an object',
    ],
    [
      'an IP as a number',
      line(buildRecord({ callerIpAddress: 10 })),
      'PT1H.json:2: callerIpAddress must be a string',
    ],
    ['identity as prose', line(buildRecord({ identity: 'bob' })), 'PT1H.json:2: identity must be an object'],
    [
      'operationName missing',
      line(buildRecord({ operationName: undefined })),
      'PT1H.json:2: missing operationName',
    ],
    [
      'a boolean as a string that is not one',
      line(buildRecord({ properties: { isRbacAuthorized: 'maybe' } })),
      'PT1H.json:2: isRbacAuthorized must be a boolean',
    ],
    [
      'no vault anywhere',
      line(buildRecord({ resourceId: undefined, properties: { id: undefined, requestUri: undefined } })),
      'PT1H.json:2: no vault identifiable',
    ],
    [
      'a record of another diagnostic category',
      line(buildRecord({ category: 'AzurePolicyEvaluationDetails' })),
      'PT1H.json:2: not a Key Vault audit record (category AzurePolicyEvaluationDetails)',
    ],
    [
      'an AZKVAuditLogs Identity that is not JSON',
      line({ ...toAzkvAuditLogsRow(buildRecord()), Identity: 'bob' }),
      'PT1H.json:2: Identity must be an object',
    ],
    [
      'an AzureDiagnostics row with a text status',
      line({ ...toAzureDiagnosticsRow(buildRecord()), httpStatusCode_d: 'two hundred' }),
      'PT1H.json:2: httpStatusCode must be a number',
    ],
    ['a number', '42\n', 'PT1H.json:2: expected a JSON object, got number'],
    ['a string', '"records"\n', 'PT1H.json:2: expected a JSON object, got string'],
    ['null', 'null\n', 'PT1H.json:2: expected a JSON object, got null'],
    [
      'an array inside an array',
      '[[{"time":"2025-06-02T09:00:00Z"}]]\n',
      'PT1H.json:2: expected a JSON object, got array',
    ],
    [
      'a non-Key Vault Event Grid event',
      line({
        id: '1',
        topic: '/x',
        eventType: 'Microsoft.Storage.BlobCreated',
        eventTime: '2025-06-02T09:00:00Z',
        data: {},
      }),
      'PT1H.json:2: not a Key Vault event: Microsoft.Storage.BlobCreated',
    ],
  ])('%s', async (_name, bad, report) => {
    const { items, reports } = await read(Buffer.from(good(1) + bad + good(3)));
    expect(items).toHaveLength(2);
    expect(reports).toHaveLength(1);
    expect(reports[0]!.startsWith(report)).toBe(true);
  });

  it('a syntax error report never quotes the line, however V8 shortens its excerpt', async () => {
    const lines = [
      'not json, and a token=Zx9-canary-Qw7\n',
      'nope token=Zx9-canary-Qw7\n',
      '{"a": canary}\n',
    ];
    const { reports } = await read(Buffer.from(lines.join('')));
    expect(reports).toHaveLength(3);
    for (const r of reports) {
      expect(r).toMatch(/^PT1H\.json:\d: not valid JSON \(/);
      expect(r).not.toMatch(/canary|token=|json, a|nope/);
    }
  });

  it('invalid UTF-8 in a line is reported; the lines around it are read', async () => {
    const bad = Buffer.concat([
      Buffer.from('{"time":"2025-06-02T09:00:00Z","operationName":"Secret'),
      Buffer.from([0xc3, 0x28, 0xff]),
      Buffer.from('"}\n'),
    ]);
    const { items, reports } = await read(
      Buffer.concat([Buffer.from(good(1)), bad, Buffer.from(good(3))]),
      16,
    );
    expect(items).toHaveLength(2);
    expect(reports).toEqual(['PT1H.json:2: invalid UTF-8']);
  });

  it('a multi-megabyte junk line is skipped as it streams, then reading continues', async () => {
    const junk = Buffer.alloc(6 * 1024 * 1024, 0x78);
    const data = Buffer.concat([Buffer.from(good(1)), junk, Buffer.from(`\n${good(3)}`)]);
    const { items, reports } = await read(data);
    expect(items).toHaveLength(2);
    expect(reports).toEqual(['PT1H.json:2: line longer than 4 MiB, skipped']);
  });

  it('a multi-megabyte junk line at the very end of a complete file is reported', async () => {
    const data = Buffer.concat([Buffer.from(good(1)), Buffer.alloc(5 * 1024 * 1024, 0x7b)]);
    const { items, reports } = await read(data);
    expect(items).toHaveLength(1);
    expect(reports).toEqual(['PT1H.json:2: line longer than 4 MiB, skipped']);
  });

  it('deeply nested junk does not crash the reader', async () => {
    const deep = `${'['.repeat(200_000)}${']'.repeat(200_000)}\n`;
    const deepObj = `${'{"a":'.repeat(100_000)}1${'}'.repeat(100_000)}\n`;
    const { items, reports } = await read(Buffer.from(good(1) + deep + deepObj + good(4)));
    expect(items).toHaveLength(2);
    expect(reports.map((r) => r.split(':').slice(0, 2).join(':'))).toEqual(['PT1H.json:2', 'PT1H.json:3']);
  });

  it('a truncated last line of a complete file is reported; with complete=false it is just not there yet', async () => {
    const text = good(1) + good(2).slice(0, 100);
    const done = await read(Buffer.from(text));
    expect(done.items).toHaveLength(1);
    expect(done.reports).toHaveLength(1);
    expect(done.reports[0]).toMatch(/^PT1H\.json:2: not valid JSON/);
    const growing = await read(Buffer.from(text), 64 * 1024, false);
    expect(growing.items).toHaveLength(1);
    expect(growing.reports).toEqual([]);
  });

  it('numbers as strings are read as numbers where Azure itself writes them so', () => {
    const e = normalizeRecord(buildRecord({ durationMs: '78', properties: { httpStatusCode: '403' } }));
    expect(e.durationMs).toBe(78);
    expect(e.status).toBe(403);
    expect(e.success).toBe(false);
    const row = toAzkvAuditLogsRow(buildRecord());
    expect(
      normalizeRecord({ ...row, HttpStatusCode: '200', DurationMs: '11', IsRbacAuthorized: 'True' }),
    ).toEqual(normalizeRecord(row));
  });

  it('normalizeRecord throws MalformedRecordError with the reason, and rejects non-objects', () => {
    expect(() => normalizeRecord(buildRecord({ time: '' }))).toThrow(MalformedRecordError);
    expect(() => normalizeRecord([] as unknown as RawRecord)).toThrow('record is not a JSON object');
    expect(() => normalizeRecord(null as unknown as RawRecord)).toThrow('record is not a JSON object');
  });
});

describe('malformed records inside JSON documents', () => {
  it('a truncated {"records":[…]} blob yields the complete records and reports the cut one where it starts', async () => {
    const text = toRecordsBlob([buildRecord(), buildRecord({ preset: 'keyBackup' })], { pretty: true });
    const cut = text.slice(0, text.lastIndexOf('"operationName"'));
    const { items, reports } = await read(Buffer.from(cut), 100);
    expect(items).toHaveLength(1);
    const startLine = cut.split('\n').lastIndexOf('    {') + 1;
    expect(reports).toEqual([`PT1H.json:${startLine}: truncated: input ended inside this record`]);
    const growing = await read(Buffer.from(cut), 100, false);
    expect(growing.items).toHaveLength(1);
    expect(growing.reports).toEqual([]);
  });

  it('invalid UTF-8 inside one record of a blob spoils only that record', async () => {
    const a = Buffer.from(toRecordsBlob([buildRecord(), buildRecord({ preset: 'keyBackup' })]));
    const at = a.indexOf('payments-signing');
    a[at] = 0xff;
    const { items, reports } = await read(a, 50);
    expect(items).toHaveLength(1);
    expect(reports).toEqual(['PT1H.json:1: invalid UTF-8']);
  });

  it('text outside any JSON value is reported line by line', async () => {
    const { items, reports } = await read(
      Buffer.from(`[\n${JSON.stringify(buildRecord())}\n]\ngarbage here\n`),
    );
    expect(items).toHaveLength(1);
    expect(reports).toEqual(['PT1H.json:4: unexpected text outside a JSON value, line skipped']);
  });

  it('Service Bus bodies: bad JSON, invalid UTF-8 and empty bodies are reported, never thrown', () => {
    expect(parseAuditBody('{"records":[', 'sb:7').malformed.map(formatMalformed)).toEqual([
      'sb:7:1: truncated: input ended inside a JSON document',
    ]);
    expect(parseAuditBody('{"time": nope}', 'sb:7').malformed.map(formatMalformed)[0]).toMatch(
      /^sb:7:1: not valid JSON/,
    );
    expect(parseAuditBody(Buffer.from([0x7b, 0xff, 0x7d]), 'sb:8').malformed.map(formatMalformed)).toEqual([
      'sb:8:1: invalid UTF-8',
    ]);
    expect(parseAuditBody(undefined, 'sb:9').malformed.map(formatMalformed)).toEqual([
      'sb:9:1: empty message body',
    ]);
    const mixed = parseAuditBody({ records: [buildRecord(), { time: 'x' }] }, 'sb:10');
    expect(mixed.items).toHaveLength(1);
    expect(mixed.malformed.map(formatMalformed)).toEqual(['sb:10:1: time is not an ISO-8601 time: x']);
  });
});
