/**
 * Property tests for the readers: whatever the chunking, the same events come out; and damaged
 * input (random bytes changed, inserted or cut) never throws — it yields only real events, and
 * reports the rest.
 */
import { describe, expect, it } from 'vitest';
import type { AuditItem, MalformedRecord } from '../../src/audit/audit-event.js';
import { normalizeRecord } from '../../src/audit/normalize.js';
import { readAuditStream } from '../../src/audit/read-audit.js';
import { buildRecord, type PresetName, toArray, toJsonLines, toRecordsBlob } from '../fixtures/records.js';

/** Deterministic PRNG so failures reproduce. */
function prng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = Math.imul(s ^ (s >>> 15), s | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const PRESETS: PresetName[] = [
  'secretGet',
  'secretGet403',
  'auth401',
  'accessPolicyAdded',
  'ipRuleAdded',
  'secretList',
];
const records = PRESETS.map((preset, i) => buildRecord({ preset, at: Date.UTC(2025, 5, 2, 9, 0, i) }));
const expectedKeys = new Set(records.map((r) => normalizeRecord(r).key));

async function readChunked(
  data: Buffer,
  rnd: () => number,
): Promise<{ items: AuditItem[]; malformed: MalformedRecord[] }> {
  async function* chunks(): AsyncGenerator<Uint8Array> {
    for (let i = 0; i < data.length; ) {
      const size = 1 + Math.floor(rnd() * 300);
      yield data.subarray(i, i + size);
      i += size;
    }
  }
  const items: AuditItem[] = [];
  const malformed: MalformedRecord[] = [];
  for await (const it of readAuditStream(chunks(), { source: 'f', onMalformed: (m) => malformed.push(m) }))
    items.push(it);
  return { items, malformed };
}

const formats: Array<[string, string]> = [
  ['JSON Lines', toJsonLines(records, { crlf: true })],
  ['{"records":[…]}', toRecordsBlob(records, { pretty: true })],
  ['array', toArray(records)],
];

describe('reader properties', () => {
  it.each(formats)('%s: random chunking never changes the events', async (_n, text) => {
    const rnd = prng(7);
    for (let round = 0; round < 20; round++) {
      const { items, malformed } = await readChunked(Buffer.from(text), rnd);
      expect(malformed).toEqual([]);
      expect(items.map((i) => (i.kind === 'audit' ? i.event.key : ''))).toEqual(
        records.map((r) => normalizeRecord(r).key),
      );
    }
  });

  it.each(formats)('%s: damaged input never throws and yields only real events', async (_n, text) => {
    const rnd = prng(11);
    const junk = [0x7b, 0x7d, 0x5b, 0x5d, 0x22, 0x5c, 0x0a, 0x2c, 0xff, 0x00];
    for (let round = 0; round < 60; round++) {
      const bytes = [...Buffer.from(text)];
      for (let k = 0; k < 1 + Math.floor(rnd() * 4); k++) {
        const at = Math.floor(rnd() * bytes.length);
        const op = rnd();
        if (op < 0.4) bytes[at] = junk[Math.floor(rnd() * junk.length)]!;
        else if (op < 0.7) bytes.splice(at, 0, junk[Math.floor(rnd() * junk.length)]!);
        else bytes.splice(at, Math.floor(rnd() * 200));
      }
      const { items } = await readChunked(Buffer.from(bytes), rnd);
      for (const it of items) {
        // a damaged record may still be valid JSON with a changed field, but never invents a vault
        if (it.kind === 'audit' && !expectedKeys.has(it.event.key))
          expect(it.event.vault).toMatch(/^[a-z0-9-]+$/);
      }
      expect(items.length).toBeLessThanOrEqual(records.length + 1);
    }
  });
});
