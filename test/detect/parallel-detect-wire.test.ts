/**
 * How parsed events cross from the parse workers (src/detect/parallel): the string table survives its
 * restarts, and a worker that fails, or a pool closed under a read, fails the read instead of hanging it.
 */
import { closeSync, mkdtempSync, openSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { AuditEvent } from '../../src/audit/audit-event.js';
import { normalizeRecord } from '../../src/audit/normalize.js';
import { WireDecoder, WireEncoder } from '../../src/detect/parallel/event-wire.js';
import { ParseWorkers, type Pending } from '../../src/detect/parallel/parse-workers.js';
import { readEventBatches } from '../../src/detect/parallel/read-events.js';
import { workerCode } from '../../src/detect/parallel/worker-code.js';
import { buildRecord, CALLERS } from '../fixtures/records.js';
import {
  controlPlane,
  expectSameEvents,
  line,
  read,
  realistic,
  T0,
  VAULTS,
  within,
} from './parallel-helpers.js';

let dir: string;
let file: string;
beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'kvw-parallel-wire-'));
  file = path.join(dir, 'PT1H.json');
  const lines = Array.from({ length: 2000 }, (_, i) => line(realistic(i)));
  lines.splice(700, 0, 'not json\n');
  writeFileSync(file, lines.join(''));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('WireEncoder → WireDecoder', () => {
  /** A data-plane event whose caller, IP and secret are new strings; every 7th reuses an older caller. */
  function fresh(i: number): AuditEvent {
    const hex = (i % 7 === 0 ? i % 100 : i).toString(16).padStart(12, '0');
    return normalizeRecord({
      time: new Date(T0 + i).toISOString(),
      operationName: i % 5 === 0 ? 'SecretPurge' : 'SecretGet',
      resourceId: `/SUBSCRIPTIONS/S/RESOURCEGROUPS/RG/PROVIDERS/MICROSOFT.KEYVAULT/VAULTS/${VAULTS[i % 3]}`,
      callerIpAddress: `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`,
      identity: {
        claim: {
          oid: `a1111111-1111-4111-8111-${hex}`,
          appid: CALLERS.bob.appid,
          // The same principal with a changing UPN: a cached identity part must not be reused.
          ...(i % 2 === 0 ? { upn: `u${i % 4}@contoso.com` } : {}),
        },
      },
      properties: {
        // The same name as a secret and as a deleted secret: two different object parts.
        id: `https://${VAULTS[i % 3]}.vault.azure.net/${i % 5 === 0 ? 'deletedsecrets' : 'secrets'}/s-${i % 1000 < 2 ? 'x' : i}`,
        ...(i % 11 === 0 ? {} : { httpStatusCode: i % 13 === 0 ? 403 : 200 }),
      },
    });
  }
  const others = [
    ...controlPlane(T0),
    buildRecord({ preset: 'auth401' }),
    buildRecord({ preset: 'keyBackup' }),
  ].map((r) => normalizeRecord(r));

  it('decodes every field of every event across several string-table restarts', () => {
    const encoder = new WireEncoder();
    const decoder = new WireDecoder();
    const resets: number[] = [];
    let strings = 0;
    for (let b = 0; b < 8; b++) {
      const events: AuditEvent[] = [];
      for (let i = 0; i < 9000; i++)
        events.push(i % 50 === 0 ? others[(i / 50) % others.length]! : fresh(b * 9000 + i));
      const batch = encoder.encode(events);
      if (batch.reset) resets.push(b);
      strings += batch.strings.length;
      // What crosses the thread boundary is a structured clone.
      expectSameEvents(decoder.decode(structuredClone(batch)), events, `batch ${b}`);
    }
    expect(strings).toBeGreaterThan(150_000);
    expect(resets.length).toBeGreaterThanOrEqual(2);
    expect(resets[0]).toBeGreaterThan(0);
  });
});

describe('parse worker failures', () => {
  let pool: ParseWorkers;
  beforeEach(async () => {
    pool = ParseWorkers.start(1, (await workerCode()).parse);
  });
  afterEach(() => pool.close());

  /** Waits for the pool until `p` has its outcome. */
  const settle = (p: Pending) =>
    within(
      10_000,
      (async () => {
        while (!p.chunk && !p.error) await pool.next();
        return p;
      })(),
    );

  it('a range the worker cannot read comes back as an error naming the cause, and the pool goes on', async () => {
    const bogus = await settle(pool.parse(2 ** 30, 0, 10, true));
    expect(bogus.chunk).toBeUndefined();
    expect(bogus.error?.message).toMatch(/^parse worker: EBADF: bad file descriptor/);
    const fd = openSync(dir, 'r');
    try {
      const directory = await settle(pool.parse(fd, 0, 10, true));
      expect(directory.error?.message).toMatch(/^parse worker: EISDIR/);
    } finally {
      closeSync(fd);
    }
    expect(pool.inFlight).toBe(0);
    const r = await read(file, { workers: pool, rangeBytes: 100 });
    expectSameEvents(r.events, (await read(file)).events, 'after the errors');
  });

  it('reading with a closed pool rejects instead of hanging', async () => {
    await pool.close();
    expect(pool.parse(2 ** 30, 0, 10, true).error?.message).toBe('parse workers closed');
    await expect(within(10_000, read(file, { workers: pool }))).rejects.toThrow('parse workers closed');
  });

  it('closing the pool in the middle of a read rejects the read instead of hanging', async () => {
    const it = readEventBatches(file, {
      onMalformed: () => {},
      workers: pool,
      minParallelBytes: 0,
      rangeBytes: 4096,
    });
    expect((await it.next()).done).toBe(false);
    await pool.close();
    const rest = (async () => {
      for (let r = await it.next(); !r.done; r = await it.next());
    })();
    await expect(within(10_000, rest)).rejects.toThrow(/parse worker/);
  });
});
