/**
 * The same events in every shape — raw record, AzureDiagnostics row, AZKVAuditLogs row, and as
 * JSON Lines, {"records":[…]} blob, bare array, Event Hub body — give equal AuditEvents and keys.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { AuditEvent, AuditItem, MalformedRecord } from '../../src/audit/audit-event.js';
import { normalizeRecord } from '../../src/audit/normalize.js';
import { parseAuditBody } from '../../src/audit/parse-body.js';
import { readAuditFile, readAuditStream } from '../../src/audit/read-audit.js';
import {
  buildNotice,
  buildRecord,
  PRESETS,
  type PresetName,
  type RawRecord,
  toArray,
  toAzkvAuditLogsRow,
  toAzureDiagnosticsRow,
  toCloudEvent,
  toEventGrid,
  toEventHubBody,
  toJsonLines,
  toRecordsBlob,
} from '../fixtures/records.js';

const fixture = (name: string): string =>
  fileURLToPath(new URL(`../fixtures/audit/${name}`, import.meta.url));
const referenceRecords = (): RawRecord[] =>
  readFileSync(fixture('reference-examples.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as RawRecord);
const presetRecords = (): RawRecord[] =>
  (Object.keys(PRESETS) as PresetName[]).map((preset) => buildRecord({ preset }));

const events = (items: AuditItem[]): AuditEvent[] =>
  items.flatMap((i) => (i.kind === 'audit' ? [i.event] : []));

async function readAll(
  text: string | Buffer,
  chunkSize: number,
): Promise<{ items: AuditItem[]; malformed: MalformedRecord[] }> {
  const buf = Buffer.isBuffer(text) ? text : Buffer.from(text, 'utf8');
  async function* chunks(): AsyncGenerator<Uint8Array> {
    for (let i = 0; i < buf.length; i += chunkSize) yield new Uint8Array(buf.subarray(i, i + chunkSize));
  }
  const malformed: MalformedRecord[] = [];
  const items: AuditItem[] = [];
  for await (const it of readAuditStream(chunks(), { source: 'in', onMalformed: (m) => malformed.push(m) })) {
    items.push(it);
  }
  return { items, malformed };
}

function withoutType(row: RawRecord): RawRecord {
  const { Type: _t, ...rest } = row;
  return rest;
}

describe('row shapes normalize to the same AuditEvent', () => {
  const all = [...presetRecords(), ...referenceRecords()];
  it.each(all.map((r) => [`${r.operationName} ${(r.properties as RawRecord).httpStatusCode} ${r.time}`, r]))(
    '%s',
    (_name, rec) => {
      const raw = normalizeRecord(rec as RawRecord);
      const renders: RawRecord[] = [
        toAzureDiagnosticsRow(rec as RawRecord),
        withoutType(toAzureDiagnosticsRow(rec as RawRecord, { emptyColumns: false })),
        toAzkvAuditLogsRow(rec as RawRecord),
        withoutType(toAzkvAuditLogsRow(rec as RawRecord, { identityAsString: true })),
      ];
      for (const row of renders) expect(normalizeRecord(row)).toEqual(raw);
    },
  );

  it('an export with times cut to milliseconds keeps the key', () => {
    const rec = buildRecord({ at: '2025-06-02T09:00:05.1234567Z' });
    const row = { ...toAzureDiagnosticsRow(rec), TimeGenerated: '2025-06-02T09:00:05.123Z' };
    expect(normalizeRecord(row).key).toBe(normalizeRecord(rec).key);
  });

  it('different events get different keys; the reference copies of the presets get the same ones', () => {
    const presets = presetRecords();
    const keys = new Set(presets.map((r) => normalizeRecord(r).key));
    expect(keys.size).toBe(presets.length);
    const shared = referenceRecords().filter((r) => keys.has(normalizeRecord(r).key));
    expect(shared.map((r) => r.operationName)).toEqual([
      'SecretGet',
      'Authentication',
      'VaultPatch',
      'VaultPatch',
      'SecretPurge',
    ]);
  });
});

describe('file and message shapes give the same events', () => {
  const recs = presetRecords();
  const expected = recs.map((r) => normalizeRecord(r));

  it.each([
    ['JSON Lines', toJsonLines(recs)],
    [
      'JSON Lines with BOM and CRLF and blank lines',
      toJsonLines(recs, { bom: true, crlf: true }).replace('\r\n', '\r\n\r\n\n'),
    ],
    ['{"records":[…]}', toRecordsBlob(recs)],
    ['{"records":[…]} pretty', toRecordsBlob(recs, { pretty: true })],
    ['{"records":[…]} with a BOM', `\uFEFF${toRecordsBlob(recs)}`],
    ['bare array', toArray(recs)],
    [
      'array of AzureDiagnostics rows',
      toArray(
        recs.map((r) => toAzureDiagnosticsRow(r)),
        { pretty: true },
      ),
    ],
    ['JSON Lines of AZKVAuditLogs rows', toJsonLines(recs.map((r) => toAzkvAuditLogsRow(r)))],
    ['JSON Lines of Event Hub bodies', recs.map((r) => `${toEventHubBody([r]).toString()}\n`).join('')],
    ['one line holding an array', `${toArray(recs)}\n`],
  ])('%s, whatever the chunk size', async (_name, text) => {
    for (const size of [1, 13, 4096, 1 << 20]) {
      const { items, malformed } = await readAll(text, size);
      expect(malformed).toEqual([]);
      expect(events(items)).toEqual(expected);
    }
  });

  it.each([
    ['Buffer body', toEventHubBody(recs)],
    ['Uint8Array body', new Uint8Array(toEventHubBody(recs))],
    ['string body', toEventHubBody(recs).toString('utf8')],
    ['parsed object body', { records: recs }],
    ['parsed array body', recs],
  ])('Event Hub %s', (_name, body) => {
    const { items, malformed } = parseAuditBody(body, 'eventhub:0/42');
    expect(malformed).toEqual([]);
    expect(events(items)).toEqual(expected);
  });

  it('the sample files (raw JSON Lines, legacy blob, AzureDiagnostics and AZKVAuditLogs exports) agree', async () => {
    const read = async (name: string): Promise<AuditEvent[]> => {
      const malformed: MalformedRecord[] = [];
      const out: AuditItem[] = [];
      for await (const it of readAuditFile(fixture(name), { onMalformed: (m) => malformed.push(m) }))
        out.push(it);
      expect(malformed).toEqual([]);
      return events(out);
    };
    const jsonl = await read('reference-examples.jsonl');
    expect(jsonl).toHaveLength(8);
    expect(await read('legacy-records-blob.json')).toEqual(jsonl);
    expect(await read('log-analytics-azurediagnostics.json')).toEqual(jsonl);
    expect(await read('log-analytics-azkvauditlogs.jsonl')).toEqual(jsonl);
  });

  it('detects the shape per record: one file mixing every shape reads each line right', async () => {
    const rec = buildRecord({ preset: 'secretPurge' });
    const text = toJsonLines([
      rec,
      toAzureDiagnosticsRow(buildRecord({ preset: 'keyBackup' })),
      withoutType(toAzkvAuditLogsRow(buildRecord({ preset: 'vaultGetDeny' }))),
      toEventGrid(buildNotice()),
      toCloudEvent(buildNotice({ id: 'ce-1', type: 'CertificateNearExpiry', objectType: 'Certificate' })),
      { records: [buildRecord({ preset: 'auth401' })] },
      [buildRecord({ preset: 'secretList' })],
    ]);
    const { items, malformed } = await readAll(text, 100);
    expect(malformed).toEqual([]);
    expect(items.map((i) => (i.kind === 'audit' ? i.event.operation : `notice:${i.notice.type}`))).toEqual([
      'SecretPurge',
      'KeyBackup',
      'VaultGet',
      'notice:SecretNearExpiry',
      'notice:CertificateNearExpiry',
      'Authentication',
      'SecretList',
    ]);
  });

  it('reports {"records":[…]} records at the line where each starts', async () => {
    const bad = buildRecord({ time: undefined });
    const text = toRecordsBlob([buildRecord(), bad, buildRecord({ preset: 'keyBackup' })], { pretty: true });
    const { items, malformed } = await readAll(text, 64);
    expect(events(items)).toHaveLength(2);
    const startLine =
      text
        .split('\n')
        .findIndex((l, i, lines) => l === '    {' && lines[i + 1]?.includes('"category"') && i > 5) + 1;
    expect(malformed).toEqual([{ source: 'in', line: startLine, reason: 'missing time' }]);
  });
});
