/**
 * Parsing large JSON Lines inputs on worker threads (src/detect/parallel/read-events.ts): whatever the
 * byte ranges a file is cut into, and however many files are read at once, the workers give exactly the
 * events and malformed reports of the sequential reader; other shapes go to the sequential reader.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MalformedRecord } from '../../src/audit/audit-event.js';
import { MAX_LINE_BYTES } from '../../src/audit/line-parser.js';
import { ParseWorkers } from '../../src/detect/parallel/parse-workers.js';
import { readEventBatches } from '../../src/detect/parallel/read-events.js';
import { workerCode } from '../../src/detect/parallel/worker-code.js';
import { CompactEvent, type RuleEvent } from '../../src/detect/rule-event.js';
import {
  buildNotice,
  buildRecord,
  CALLERS,
  toArray,
  toEventGrid,
  toRecordsBlob,
} from '../fixtures/records.js';
import {
  controlPlane,
  expectSameEvents,
  line,
  MiB,
  read,
  realistic,
  T0,
  within,
} from './parallel-helpers.js';

/** Every kind of line a JSON Lines file can hold that is not one plain record. */
function trickyLines(): Buffer {
  const parts: (string | Buffer)[] = [
    '\uFEFF',
    line(realistic(0), '\r\n'),
    '\n',
    '   \t \r\n',
    line(realistic(1)),
    'not json at all\n',
    '42\n',
    '"a string"\n',
    'null\n',
    '[1, {"time": 3}]\n',
    line(buildRecord({ time: undefined, at: undefined })),
    Buffer.from([0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xff, 0xfe, 0x22, 0x7d, 0x0a]),
    line([realistic(2), realistic(3)]),
    line({ records: [realistic(4), realistic(5), realistic(6)] }),
    line(toEventGrid(buildNotice())),
    ...controlPlane(T0 + 60_000).map((r) => line(r, '\r\n')),
    line(
      buildRecord({
        at: T0 + 70_000,
        secret: 'mot-de-passe-é-密码',
        caller: { oid: CALLERS.bob.oid, upn: 'zoë@contoso.com' },
      }),
    ),
    line(buildRecord({ at: T0 + 71_000, properties: { httpStatusCode: undefined } })),
    '{"time": "2025-06-02T09:00:00Z", "operationName": \n',
    ' \r\n\r\n',
  ];
  for (let i = 7; i < 20; i++) parts.push(line(realistic(i), i % 3 === 0 ? '\r\n' : '\n'));
  parts.push(JSON.stringify(realistic(20))); // no newline at the end
  return Buffer.concat(parts.map((p) => (typeof p === 'string' ? Buffer.from(p) : p)));
}

let dir: string;
const files: Record<string, string> = {};
const write = (name: string, data: string | Buffer): string => {
  const file = path.join(dir, name);
  writeFileSync(file, data);
  files[name] = file;
  return file;
};

beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'kvw-parallel-'));
  write('tricky.jsonl', trickyLines());
  write(
    'leading-blank-malformed-last.jsonl',
    `\uFEFF\r\n\n${line(realistic(0))}${line(realistic(1), '\r\n')}not json, and no newline`,
  );
  const many: string[] = [];
  for (let i = 0; i < 2500; i++) {
    many.push(line(realistic(i)));
    if (i % 500 === 250) many.push(...controlPlane(T0 + i * 1500).map((r) => line(r)), 'garbage\n');
  }
  write('many.jsonl', many.join(''));
  const long = (pad: number, at: number) =>
    JSON.stringify({ ...buildRecord({ at, correlationId: `pad-${pad}` }), padding: 'x'.repeat(pad) });
  write(
    'long-lines.jsonl',
    [
      ...Array.from({ length: 40 }, (_, i) => line(realistic(i))),
      `${long(MAX_LINE_BYTES, T0 + 100_000)}\n`,
      ...Array.from({ length: 40 }, (_, i) => line(realistic(40 + i))),
      `${long(MAX_LINE_BYTES - 4096, T0 + 200_000)}\r\n`,
      ...Array.from({ length: 40 }, (_, i) => line(realistic(80 + i))),
      `${long(MAX_LINE_BYTES + 10, T0 + 300_000)}`,
    ].join(''),
  );
  // Five distinct strings per record (oid = principal, app id, UPN, IP, secret): far past the table limit.
  const distinct: string[] = [];
  for (let i = 0; i < 25_000; i++) {
    const hex = i.toString(16).padStart(12, '0');
    distinct.push(
      line({
        time: new Date(T0 + i * 10).toISOString(),
        operationName: 'SecretGet',
        resourceId: `/SUBSCRIPTIONS/S/RESOURCEGROUPS/RG/PROVIDERS/MICROSOFT.KEYVAULT/VAULTS/KV-${i % 5}`,
        callerIpAddress: `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`,
        identity: {
          claim: {
            oid: `a1111111-1111-4111-8111-${hex}`,
            appid: `b2222222-2222-4222-8222-${hex}`,
            upn: `u${i}@contoso.com`,
          },
        },
        properties: { id: `https://kv-${i % 5}.vault.azure.net/secrets/s-${i}`, httpStatusCode: 200 },
      }),
    );
  }
  write('distinct.jsonl', distinct.join(''));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe.each([1, 2])('readEventBatches with %i parse worker(s)', (size) => {
  let pool: ParseWorkers;
  beforeAll(async () => {
    pool = ParseWorkers.start(size, (await workerCode()).parse);
  });
  afterAll(() => pool.close());

  // What the sequential reader finds in each file (so the files hold what they are meant to).
  const NOT_JSON = expect.stringMatching(/^not valid JSON/);
  const TOO_LONG = 'line longer than 4 MiB, skipped';
  it.each([
    [
      'tricky.jsonl',
      [1, 7, 100, 4096, MiB],
      30,
      [
        [5, NOT_JSON],
        [6, 'expected a JSON object, got number'],
        [7, 'expected a JSON object, got string'],
        [8, 'expected a JSON object, got null'],
        [9, 'expected a JSON object, got number'],
        [9, 'time must be an ISO-8601 string, got number'],
        [10, 'missing time'],
        [11, 'invalid UTF-8'],
        [24, NOT_JSON],
      ],
    ],
    ['leading-blank-malformed-last.jsonl', [1, 7, 100, 4096], 2, [[5, NOT_JSON]]],
    ['many.jsonl', [100, 4096, 65_536, MiB], 2535, [259, 767, 1275, 1783, 2291].map((n) => [n, NOT_JSON])],
    [
      'long-lines.jsonl',
      [4096, 100_000, MiB, 5 * MiB],
      121,
      [
        [41, TOO_LONG],
        [123, TOO_LONG],
      ],
    ],
    ['distinct.jsonl', [65_536, MiB], 25_000, []],
  ])(
    '%s: the same events and malformed reports as the sequential reader, ranges of %j bytes',
    async (name, sizes, count, bad) => {
      const file = files[name]!;
      const reference = await read(file);
      expect(reference.events).toHaveLength(count);
      expect(reference.malformed.map((m) => [m.line, m.reason])).toEqual(bad);
      for (const rangeBytes of sizes) {
        const label = `${name} in ranges of ${rangeBytes} bytes`;
        const parallel = await read(file, { workers: pool, rangeBytes });
        // Proof the ranges went through the parallel path: its events are the compact kind.
        expect(
          parallel.events.every((e) => e instanceof CompactEvent),
          label,
        ).toBe(true);
        expectSameEvents(parallel.events, reference.events, label);
        expect(parallel.malformed, label).toEqual(reference.malformed);
      }
      expect(pool.inFlight).toBe(0);
    },
  );

  it('files read at the same time through the pool each give all their events and reports', async () => {
    // The batch merge reads every input that overlaps in time a batch at a time, all through one pool.
    const names = ['many.jsonl', 'tricky.jsonl', 'distinct.jsonl', 'long-lines.jsonl'];
    const got = names.map(() => ({ events: [] as RuleEvent[], malformed: [] as MalformedRecord[] }));
    const readers = names.map((name, k) =>
      readEventBatches(files[name]!, {
        source: 'PT1H.json',
        onMalformed: (m) => got[k]!.malformed.push(m),
        workers: pool,
        minParallelBytes: 0,
        rangeBytes: 16_384,
      }),
    );
    const done = names.map(() => false);
    while (done.includes(false)) {
      for (const [k, reader] of readers.entries()) {
        if (done[k]) continue;
        const r = await within(20_000, reader.next());
        if (r.done) done[k] = true;
        else got[k]!.events.push(...r.value);
      }
    }
    for (const [k, name] of names.entries()) {
      const reference = await read(files[name]!);
      expectSameEvents(got[k]!.events, reference.events, name);
      expect(got[k]!.malformed, name).toEqual(reference.malformed);
    }
    expect(pool.inFlight).toBe(0);
  });
});

describe('readEventBatches with a pool, on what is not split', () => {
  let pool: ParseWorkers;
  beforeAll(async () => {
    pool = ParseWorkers.start(2, (await workerCode()).parse);
  });
  afterAll(() => pool.close());

  const records = () => [
    ...Array.from({ length: 60 }, (_, i) => realistic(i)),
    ...controlPlane(T0 + 200_000),
  ];

  it.each([
    ['{"records":[…]}', () => toRecordsBlob(records())],
    ['{"records":[…]} pretty-printed', () => toRecordsBlob(records(), { pretty: true })],
    ['a JSON array', () => toArray(records())],
    ['a JSON array after a BOM and blank lines', () => `\uFEFF\n\n${toArray(records(), { pretty: true })}`],
  ])('%s is read whole by the sequential reader, with the right events', async (name, render) => {
    const file = write(`shape-${name.replace(/\W+/g, '-')}.json`, render());
    const jsonLines = write(
      'shape-lines.jsonl',
      records()
        .map((r) => line(r))
        .join(''),
    );
    const expected = await read(jsonLines);
    expect(expected.events).toHaveLength(67);
    for (const rangeBytes of [7, 4096]) {
      const r = await read(file, { workers: pool, rangeBytes });
      expect(r.malformed).toEqual([]);
      // Not cut into ranges: the events are the sequential reader's full ones.
      expect(r.events.every((e) => !(e instanceof CompactEvent) && 'resourceId' in e)).toBe(true);
      expectSameEvents(r.events, expected.events, name);
    }
  });

  it('a JSON Lines file smaller than minParallelBytes is read by the sequential reader', async () => {
    const r = await read(files['tricky.jsonl']!, { workers: pool, minParallelBytes: 1 << 30 });
    const reference = await read(files['tricky.jsonl']!);
    expect(r.events.some((e) => e instanceof CompactEvent)).toBe(false);
    expectSameEvents(r.events, reference.events, 'small file');
    expect(r.malformed).toEqual(reference.malformed);
  });
});
