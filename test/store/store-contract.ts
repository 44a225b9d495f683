import { afterEach, describe, expect, it } from 'vitest';
import { ErrorCode } from '../../src/errors.js';
import { type AuditTrailEntry, casUpdate, type Store } from '../../src/store/store.js';

/** How a test file provides stores: a fresh empty store per test, and optionally a way to reopen it. */
export interface StoreFactory {
  /** A fresh, empty store. */
  open(): Promise<Store>;
  /** Closes `store` and opens the same underlying data again (persistence). Omit for in-memory stores. */
  reopen?(store: Store): Promise<Store>;
}

async function conflictCode(work: Promise<unknown>): Promise<string | undefined> {
  try {
    await work;
    return undefined;
  } catch (err) {
    return (err as { code?: string }).code;
  }
}

/** The behaviour every Store adapter must have. Run once per adapter. */
export function describeStoreContract(name: string, factory: StoreFactory): void {
  describe(`Store contract: ${name}`, () => {
    const opened: Store[] = [];
    async function fresh(): Promise<Store> {
      const s = await factory.open();
      opened.push(s);
      return s;
    }
    afterEach(async () => {
      for (const s of opened.splice(0)) await s.close().catch(() => undefined);
    });

    it('creates only when absent and reports the existing id without writing', async () => {
      const s = await fresh();
      const first = await s.create('alerts', 'a1', { n: 1 });
      expect(first?.value).toEqual({ n: 1 });
      expect(await s.create('alerts', 'a1', { n: 2 })).toBeUndefined();
      expect((await s.get('alerts', 'a1'))?.value).toEqual({ n: 1 });
      expect(await s.get('alerts', 'missing')).toBeUndefined();
      // Collections are separate namespaces.
      expect(await s.create('cards', 'a1', { n: 3 })).toBeDefined();
    });

    it('updates when the version matches and refuses a stale or unknown version', async () => {
      const s = await fresh();
      const v1 = await s.create('alerts', 'a', { state: 'open' });
      if (!v1) throw new Error('create failed');
      const v2 = await s.update('alerts', 'a', { state: 'acknowledged' }, v1.version);
      expect(v2.version).not.toBe(v1.version);
      expect(await conflictCode(s.update('alerts', 'a', { state: 'closed' }, v1.version))).toBe(
        ErrorCode.Conflict,
      );
      expect(await conflictCode(s.update('alerts', 'absent', { state: 'x' }, v1.version))).toBe(
        ErrorCode.Conflict,
      );
      expect(await conflictCode(s.update('alerts', 'a', { state: 'x' }, 'garbage'))).toBe(ErrorCode.Conflict);
      const now = await s.get<{ state: string }>('alerts', 'a');
      expect(now).toEqual({ value: { state: 'acknowledged' }, version: v2.version });
    });

    it('lets exactly one of two updates from the same version win', async () => {
      const s = await fresh();
      const v1 = await s.create('alerts', 'race', { by: 'none' });
      if (!v1) throw new Error('create failed');
      const results = await Promise.allSettled([
        s.update('alerts', 'race', { by: 'alice' }, v1.version),
        s.update('alerts', 'race', { by: 'bob' }, v1.version),
      ]);
      expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
      const loser = results.find((r) => r.status === 'rejected') as PromiseRejectedResult;
      expect(loser.reason.code).toBe(ErrorCode.Conflict);
    });

    it('loses no update when 20 writers increment one counter with casUpdate', async () => {
      const s = await fresh();
      await s.create('counters', 'c', { n: 0, writers: [] as number[] });
      const writers = Array.from({ length: 20 }, (_, i) =>
        casUpdate<{ n: number; writers: number[] }>(
          s,
          'counters',
          'c',
          (cur) => ({ n: cur.n + 1, writers: [...cur.writers, i] }),
          100,
        ),
      );
      await Promise.all(writers);
      const final = await s.get<{ n: number; writers: number[] }>('counters', 'c');
      expect(final?.value.n).toBe(20);
      expect([...(final?.value.writers ?? [])].sort((a, b) => a - b)).toEqual(
        Array.from({ length: 20 }, (_, i) => i),
      );
    });

    it('has exactly one winner per round when 20 writers race from the same version', async () => {
      const s = await fresh();
      let current = await s.create('alerts', 'round', { round: 0 });
      for (let round = 1; round <= 3; round++) {
        if (!current) throw new Error('missing');
        const base = current;
        const results = await Promise.allSettled(
          Array.from({ length: 20 }, (_, i) => s.update('alerts', 'round', { round, by: i }, base.version)),
        );
        const winners = results.filter((r) => r.status === 'fulfilled');
        expect(winners).toHaveLength(1);
        for (const r of results) if (r.status === 'rejected') expect(r.reason.code).toBe(ErrorCode.Conflict);
        current = await s.get('alerts', 'round');
        expect((winners[0] as PromiseFulfilledResult<{ version: string }>).value.version).toBe(
          current?.version,
        );
      }
    });

    it('deletes, honouring an expected version, and treats absent as done', async () => {
      const s = await fresh();
      const v1 = await s.create('outbox', 'm1', { a: 1 });
      if (!v1) throw new Error('create failed');
      await s.update('outbox', 'm1', { a: 2 }, v1.version);
      expect(await conflictCode(s.delete('outbox', 'm1', v1.version))).toBe(ErrorCode.Conflict);
      const cur = await s.get('outbox', 'm1');
      await s.delete('outbox', 'm1', cur?.version);
      expect(await s.get('outbox', 'm1')).toBeUndefined();
      await s.delete('outbox', 'm1');
      await s.delete('outbox', 'never', '1');
      // The id can be created again after deletion.
      expect(await s.create('outbox', 'm1', { a: 3 })).toBeDefined();
      await s.delete('outbox', 'm1');
      expect(await s.get('outbox', 'm1')).toBeUndefined();
    });

    it('lists by prefix in id order, with a limit', async () => {
      const s = await fresh();
      for (const id of ['b|2', 'a|1', 'b|10', 'b|1', 'c', 'b', 'ba']) await s.create('cards', id, { id });
      await s.create('other', 'b|0', { id: 'other' });
      const all = await s.list<{ id: string }>('cards');
      expect(all.map((d) => d.id)).toEqual(['a|1', 'b', 'ba', 'b|1', 'b|10', 'b|2', 'c']);
      const bs = await s.list<{ id: string }>('cards', { prefix: 'b|' });
      expect(bs.map((d) => d.id)).toEqual(['b|1', 'b|10', 'b|2']);
      expect(bs.every((d) => d.value.id === d.id && typeof d.version === 'string')).toBe(true);
      expect((await s.list('cards', { prefix: 'b', limit: 2 })).map((d) => d.id)).toEqual(['b', 'ba']);
      expect(await s.list('cards', { prefix: 'zzz' })).toEqual([]);
      expect(await s.list('empty')).toEqual([]);
    });

    it('round-trips ids with / # ? \\ % spaces, control characters and unicode', async () => {
      const s = await fresh();
      const ids = [
        'a/b#c?d\\e',
        '100%25 sure',
        'tab\there',
        'ünïcödé/金庫',
        'emoji-🔑',
        'quote\'"',
        'x'.repeat(200),
      ];
      for (const id of ids) expect(await s.create('weird', id, { id })).toBeDefined();
      for (const id of ids) expect((await s.get<{ id: string }>('weird', id))?.value.id).toBe(id);
      const listed = await s.list<{ id: string }>('weird');
      expect(listed.map((d) => d.id).sort()).toEqual([...ids].sort());
      expect((await s.list('weird', { prefix: 'a/b#' })).map((d) => d.id)).toEqual(['a/b#c?d\\e']);
      expect((await s.list('weird', { prefix: 'ünï' })).map((d) => d.id)).toEqual(['ünïcödé/金庫']);
      // Prefixes are literal: no LIKE wildcards, no regex.
      expect((await s.list('weird', { prefix: '100%' })).map((d) => d.id)).toEqual(['100%25 sure']);
      expect(await s.list('weird', { prefix: '_' })).toEqual([]);
      expect(await s.list('weird', { prefix: '.*' })).toEqual([]);
      const v = await s.get('weird', 'a/b#c?d\\e');
      await s.update('weird', 'a/b#c?d\\e', { id: 'changed' }, v?.version ?? '');
      expect((await s.get<{ id: string }>('weird', 'a/b#c?d\\e'))?.value.id).toBe('changed');
    });

    it('stores nested JSON values faithfully', async () => {
      const s = await fresh();
      const value = {
        s: 'text "quoted"\n',
        n: 1.5,
        b: false,
        nul: null,
        arr: [1, { x: 'y' }],
        deep: { a: { b: [] } },
      };
      await s.create('checkpoints', 'v', value);
      expect((await s.get('checkpoints', 'v'))?.value).toEqual(value);
    });

    it('keeps the audit trail per subject in append order', async () => {
      const s = await fresh();
      const entries: AuditTrailEntry[] = Array.from({ length: 12 }, (_, i) => ({
        subject: i % 2 === 0 ? 'alert-1' : 'alert-2',
        at: '2025-06-02T12:00:00.000Z', // same time: order must come from append order
        actor: i % 3 === 0 ? 'system' : 'alice',
        action: `step-${i}`,
        ...(i % 4 === 0 ? { detail: `detail ${i}`, via: 'slack:U01ALICE' } : {}),
      }));
      for (const e of entries) await s.appendAudit(e);
      expect(await s.listAudit('alert-1')).toEqual(entries.filter((e) => e.subject === 'alert-1'));
      expect(await s.listAudit('alert-2')).toEqual(entries.filter((e) => e.subject === 'alert-2'));
      expect(await s.listAudit('nobody')).toEqual([]);
    });

    it('marks event keys seen once, across calls and within one batch', async () => {
      const s = await fresh();
      const first = await s.markSeen([
        { key: 'k1', timeMs: 1000 },
        { key: 'k2', timeMs: 2000 },
        { key: 'k1', timeMs: 1000 },
      ]);
      expect([...first].sort()).toEqual(['k1', 'k2']);
      const second = await s.markSeen([
        { key: 'k2', timeMs: 2000 },
        { key: 'k3', timeMs: 3000 },
      ]);
      expect([...second]).toEqual(['k3']);
      expect((await s.markSeen([])).size).toBe(0);
    });

    it('tells which keys are unseen without marking them', async () => {
      const s = await fresh();
      await s.markSeen([
        { key: 'k1', timeMs: 1000 },
        { key: 'k2', timeMs: 5000 },
      ]);
      const ask = [
        { key: 'k0', timeMs: 500 },
        { key: 'k1', timeMs: 1000 },
        { key: 'k2', timeMs: 5000 },
        { key: 'k3', timeMs: 9000 },
        { key: 'k3', timeMs: 9000 },
      ];
      expect([...(await s.filterUnseen(ask))].sort()).toEqual(['k0', 'k3']);
      expect([...(await s.filterUnseen(ask))].sort()).toEqual(['k0', 'k3']);
      expect((await s.filterUnseen([])).size).toBe(0);
      // Asking marked nothing: the unseen keys are still fresh for markSeen.
      expect([...(await s.markSeen(ask))].sort()).toEqual(['k0', 'k3']);
    });

    it('filters thousands of keys spread over a wide time range', async () => {
      const s = await fresh();
      const marked = Array.from({ length: 1500 }, (_, i) => ({ key: `evt-${i}`, timeMs: i * 60_000 }));
      await s.markSeen(marked);
      const ask = Array.from({ length: 3000 }, (_, i) => ({ key: `evt-${i}`, timeMs: i * 60_000 }));
      const unseen = await s.filterUnseen(ask);
      expect(unseen.size).toBe(1500);
      expect(unseen.has('evt-0')).toBe(false);
      expect(unseen.has('evt-1499')).toBe(false);
      expect(unseen.has('evt-1500')).toBe(true);
      expect(unseen.has('evt-2999')).toBe(true);
    });

    it('handles thousands of keys per markSeen call', async () => {
      const s = await fresh();
      const batch = Array.from({ length: 3000 }, (_, i) => ({ key: `evt-${i}`, timeMs: 1_000_000 + i }));
      expect((await s.markSeen(batch)).size).toBe(3000);
      const overlap = Array.from({ length: 3000 }, (_, i) => ({
        key: `evt-${i + 2500}`,
        timeMs: 1_000_000 + i,
      }));
      const fresh2 = await s.markSeen(overlap);
      expect(fresh2.size).toBe(2500);
      expect(fresh2.has('evt-2499')).toBe(false);
      expect(fresh2.has('evt-2500')).toBe(false);
      expect(fresh2.has('evt-3000')).toBe(true);
    });

    it('prunes keys older than the cut-off so they count as new again', async () => {
      const s = await fresh();
      await s.markSeen([
        { key: 'old-1', timeMs: 100 },
        { key: 'old-2', timeMs: 199 },
        { key: 'edge', timeMs: 200 },
        { key: 'new', timeMs: 300 },
      ]);
      expect(await s.pruneSeen(200)).toBe(2);
      const again = await s.markSeen([
        { key: 'old-1', timeMs: 100 },
        { key: 'edge', timeMs: 200 },
        { key: 'new', timeMs: 300 },
      ]);
      expect([...again]).toEqual(['old-1']);
    });

    if (factory.reopen) {
      const reopen = factory.reopen;
      it('keeps documents, versions, audit trail and seen keys across close and reopen', async () => {
        const s = await factory.open();
        const v1 = await s.create('alerts', 'p/1', { state: 'open' });
        const v2 = await s.update('alerts', 'p/1', { state: 'closed' }, v1?.version ?? '');
        await s.appendAudit({ subject: 'p/1', at: '2025-06-02T12:00:00Z', actor: 'alice', action: 'close' });
        await s.markSeen([{ key: 'seen-1', timeMs: 5 }]);
        const again = await reopen(s);
        opened.push(again);
        expect(await again.get('alerts', 'p/1')).toEqual({ value: { state: 'closed' }, version: v2.version });
        expect(await conflictCode(again.update('alerts', 'p/1', { state: 'x' }, v1?.version ?? ''))).toBe(
          ErrorCode.Conflict,
        );
        expect((await again.listAudit('p/1')).map((e) => e.action)).toEqual(['close']);
        expect((await again.markSeen([{ key: 'seen-1', timeMs: 5 }])).size).toBe(0);
        await again.appendAudit({
          subject: 'p/1',
          at: '2025-06-02T12:01:00Z',
          actor: 'bob',
          action: 'reopen',
        });
        expect((await again.listAudit('p/1')).map((e) => e.action)).toEqual(['close', 'reopen']);
      });
    }
  });
}
