/**
 * Bounded memory: items come out while the input is still being read, whatever its format, and
 * tailing an append blob chunk by chunk gives exactly what reading it whole gives.
 */
import { describe, expect, it } from 'vitest';
import type { AuditItem, MalformedRecord } from '../../src/audit/audit-event.js';
import type { ParseOutput } from '../../src/audit/dispatch-value.js';
import { JsonLinesParser } from '../../src/audit/line-parser.js';
import { parseChunk } from '../../src/audit/parse-chunk.js';
import { readAuditBatches, readAuditStream } from '../../src/audit/read-audit.js';
import {
  buildNotice,
  buildRecord,
  type PresetName,
  toArray,
  toEventGrid,
  toJsonLines,
  toRecordsBlob,
} from '../fixtures/records.js';

const PRESETS: PresetName[] = [
  'secretGet',
  'secretGet403',
  'auth401',
  'keyBackup',
  'vaultGetDeny',
  'secretList',
];
const T0 = Date.UTC(2025, 5, 2, 9);

/** A lazily generated input: `count` records, rendered `perChunk` at a time, counting chunks pulled. */
function lazyInput(
  count: number,
  perChunk: number,
  render: (i: number, last: boolean) => string,
): { chunks: AsyncIterable<Uint8Array>; pulled: () => number; total: number } {
  let pulled = 0;
  const total = Math.ceil(count / perChunk);
  async function* gen(): AsyncGenerator<Uint8Array> {
    for (let c = 0; c < total; c++) {
      pulled++;
      let s = '';
      for (let i = c * perChunk; i < Math.min(count, (c + 1) * perChunk); i++)
        s += render(i, i === count - 1);
      yield Buffer.from(s);
    }
  }
  return { chunks: gen(), pulled: () => pulled, total };
}

const rec = (i: number): string =>
  JSON.stringify(
    buildRecord({ preset: PRESETS[i % PRESETS.length], at: T0 + i * 10, correlationId: `c-${i}` }),
  );

describe('streaming with bounded memory', () => {
  it.each([
    [
      '{"records":[…]}',
      (i: number, last: boolean) => `${i === 0 ? '{"records":[' : ''}${rec(i)}${last ? ']}' : ','}`,
    ],
    ['bare array', (i: number, last: boolean) => `${i === 0 ? '[\n' : ''}${rec(i)}${last ? '\n]' : ',\n'}`],
    ['JSON Lines', (i: number) => `${rec(i)}\n`],
  ])('%s: records arrive long before the input ends, none held back', async (_name, render) => {
    const count = 6000;
    const input = lazyInput(count, 50, render);
    const malformed: MalformedRecord[] = [];
    let seen = 0;
    let pulledAtFirst = -1;
    let maxAhead = 0;
    for await (const it of readAuditStream(input.chunks, {
      source: 'big',
      onMalformed: (m) => malformed.push(m),
    })) {
      if (seen === 0) pulledAtFirst = input.pulled();
      // records produced never run more than one chunk ahead of those already handed out
      maxAhead = Math.max(maxAhead, input.pulled() * 50 - seen);
      expect(it.kind === 'audit' && it.event.correlationId).toBe(`c-${seen}`);
      seen++;
    }
    expect(malformed).toEqual([]);
    expect(seen).toBe(count);
    expect(pulledAtFirst).toBeLessThanOrEqual(2);
    expect(maxAhead).toBeLessThanOrEqual(100);
  });

  it('batches hold the items of each chunk in order, never empty, the same items as one by one', async () => {
    const render = (i: number) =>
      i % 10 === 3 ? `${JSON.stringify(toEventGrid(buildNotice()))}\n` : i % 10 === 7 ? '\n' : `${rec(i)}\n`;
    const opts = { source: 'b', onMalformed: () => {} };
    const batches: AuditItem[][] = [];
    for await (const b of readAuditBatches(lazyInput(500, 40, render).chunks, opts)) batches.push(b);
    const single: AuditItem[] = [];
    for await (const it of readAuditStream(lazyInput(500, 40, render).chunks, opts)) single.push(it);
    expect(batches.length).toBeGreaterThan(5);
    expect(batches.every((b) => b.length > 0)).toBe(true);
    expect(batches.flat()).toEqual(single);
    expect(single).toHaveLength(450);
    expect(single.filter((it) => it.kind === 'notice')).toHaveLength(50);
  });

  it('a line growing past the limit is dropped as it streams, never held', () => {
    const malformed: MalformedRecord[] = [];
    const out: ParseOutput = { items: [], source: 'x', malformed: (m) => malformed.push(m) };
    const parser = new JsonLinesParser(out, 1, 1024 * 1024);
    const piece = Buffer.alloc(64 * 1024, 0x61);
    let maxPending = 0;
    for (let i = 0; i < 64; i++) {
      parser.push(piece);
      maxPending = Math.max(maxPending, parser.pendingBytes);
    }
    parser.push(Buffer.from(`\n${JSON.stringify(buildRecord())}\n`));
    expect(maxPending).toBeLessThanOrEqual(1024 * 1024);
    expect(parser.pendingBytes).toBe(0);
    expect(malformed).toEqual([{ source: 'x', line: 1, reason: 'line longer than 1 MiB, skipped' }]);
    expect(out.items).toHaveLength(1);
  });

  it('a large block pushed whole gives the same records and line numbers as small pieces', () => {
    // > 64 KiB of lines with a blank line, CRLF ends, a line longer than the decode slice, an
    // invalid UTF-8 line and a non-JSON line, so the block is cut into slices at line ends.
    const long = JSON.stringify({
      ...buildRecord({ correlationId: 'c-long' }),
      padding: 'x'.repeat(100_000),
    });
    const parts: Buffer[] = [];
    for (let i = 0; i < 120; i++) {
      parts.push(Buffer.from(`${rec(i)}${i % 7 === 0 ? '\r' : ''}\n`));
      if (i === 30) parts.push(Buffer.from('\n'));
      if (i === 50) parts.push(Buffer.from(`${long}\n`));
      if (i === 70) parts.push(Buffer.from([0x7b, 0xff, 0xfe, 0x7d, 0x0a]));
      if (i === 90) parts.push(Buffer.from('not json\n'));
    }
    const all = Buffer.concat(parts);
    const read = (pieceBytes: number) => {
      const malformed: MalformedRecord[] = [];
      const out: ParseOutput = { items: [], source: 'x', malformed: (m) => malformed.push(m) };
      const parser = new JsonLinesParser(out);
      for (let at = 0; at < all.length; at += pieceBytes) parser.push(all.subarray(at, at + pieceBytes));
      parser.end(true);
      return {
        ids: out.items.map((it) => (it.kind === 'audit' ? it.event.correlationId : '')),
        malformed,
        line: parser.line,
      };
    };
    const whole = read(all.length);
    expect(all.length).toBeGreaterThan(3 * 64 * 1024);
    expect(whole.ids).toHaveLength(121);
    expect(whole.ids[51]).toBe('c-long');
    expect(whole.malformed.map((m) => [m.line, m.reason.slice(0, 14)])).toEqual([
      [74, 'invalid UTF-8'],
      [95, 'not valid JSON'],
    ]);
    expect(read(1000)).toEqual(whole);
    expect(read(64 * 1024 + 13)).toEqual(whole);
  });
});

describe('tailing an append blob with parseChunk', () => {
  const lines = [
    ...Array.from({ length: 40 }, (_, i) => rec(i)),
    'not json at all',
    ...Array.from({ length: 20 }, (_, i) => rec(40 + i)),
  ];
  const blob = Buffer.from(`\uFEFF${lines.join('\r\n')}\r\n`);

  it('reading growing prefixes from the returned offsets gives the whole blob once, bad line at its number', () => {
    const items: AuditItem[] = [];
    const malformed: MalformedRecord[] = [];
    let offset = 0;
    let firstLine = 1;
    // the blob grows by irregular amounts; each poll reads what is there since the offset
    for (let size = 0; size < blob.length; ) {
      size = Math.min(blob.length, size + 97 + ((size * 7) % 1500));
      const r = parseChunk(blob.subarray(offset, size), { source: 'PT1H.json', firstLine, complete: false });
      items.push(...r.items);
      malformed.push(...r.malformed);
      offset += r.consumedBytes;
      firstLine += r.lines;
    }
    const last = parseChunk(blob.subarray(offset), { source: 'PT1H.json', firstLine, complete: true });
    items.push(...last.items);
    expect(offset + last.consumedBytes).toBe(blob.length);
    expect(items.map((i) => (i.kind === 'audit' ? i.event.correlationId : ''))).toEqual(
      Array.from({ length: 60 }, (_, i) => `c-${i}`),
    );
    expect(malformed).toEqual([
      { source: 'PT1H.json', line: 41, reason: expect.stringMatching(/^not valid JSON/) },
    ]);
  });

  it('does not consume a half-written last line, and consumes it once complete', () => {
    const text = `${rec(0)}\n${rec(1).slice(0, 50)}`;
    const partial = parseChunk(Buffer.from(text), { source: 'b', firstLine: 1, complete: false });
    expect(partial.items).toHaveLength(1);
    expect(partial.malformed).toEqual([]);
    expect(partial.consumedBytes).toBe(Buffer.byteLength(rec(0)) + 1);
    expect(partial.lines).toBe(1);
  });

  it('a complete legacy blob or array passed whole is read as JSON, not lines', () => {
    for (const text of [
      toRecordsBlob([buildRecord(), buildRecord({ preset: 'keyBackup' })], { pretty: true }),
      toArray([buildRecord()]),
    ]) {
      const r = parseChunk(Buffer.from(text), { source: 'b', firstLine: 1, complete: true });
      expect(r.malformed).toEqual([]);
      expect(r.items.length).toBeGreaterThan(0);
      expect(r.consumedBytes).toBe(Buffer.byteLength(text));
    }
    const jl = toJsonLines([buildRecord()]);
    expect(parseChunk(Buffer.from(jl), { source: 'b', firstLine: 1, complete: true }).lines).toBe(1);
  });
});
