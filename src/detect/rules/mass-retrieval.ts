import { actorOf } from '../describe.js';
import type { RuleEvent } from '../rule-event.js';
import { entriesToMap, type Finding, mapToEntries, type Rule, type RuleContext } from './rule.js';

const DAY = 86_400_000;
const GETS = new Set(['SecretGet', 'KeyGet']);
/** The sliding window is kept as this many buckets (counts only, nothing per event). */
const BUCKETS = 24;

interface Counter {
  /** Bucket index and count pairs, flat ([i0, n0, i1, n1, …]), ascending, covering the current window. */
  buckets: number[];
  /** Sum of the bucket counts. */
  inWindow: number;
  /** Day index and count pairs of past days, flat, for the baseline mean; pruned after baselineDays. */
  days: number[];
  lastFire?: number;
}

/** Checkpoint form of a Counter (the format of earlier versions): pairs as [index, count] tuples. */
interface CounterState {
  buckets: [number, number][];
  inWindow: number;
  days: [number, number][];
  lastFire?: number;
}

/**
 * mass-secret-retrieval: successful SecretGet/KeyGet calls by one principal on one vault within a sliding
 * `window` (kept as 24 buckets) above `threshold` AND above `baselineFactor` × the principal's own mean
 * per window over the previous `baselineDays` (days before today; only days the vault has history for).
 * Fires at most once per window per principal.
 */
export class MassRetrievalRule implements Rule {
  readonly id = 'mass-secret-retrieval' as const;
  readonly defaultSeverity = 'high' as const;
  /** vault → principal → counter (nested, so no key string is built per event). */
  private counters = new Map<string, Map<string, Counter>>();
  private lastSweep: number | undefined;
  constructor(private readonly ctx: RuleContext) {}

  observe(e: RuleEvent, report: (f: Finding) => void): void {
    if (!e.success || e.principal === 'unknown' || !GETS.has(e.operation)) return;
    const { threshold, window, baselineFactor } = this.ctx.detection.massRetrieval;
    const bucketMs = Math.max(1000, Math.floor(window / BUCKETS));
    let perVault = this.counters.get(e.vault);
    if (!perVault) {
      perVault = new Map();
      this.counters.set(e.vault, perVault);
    }
    let c = perVault.get(e.principal);
    if (!c) {
      c = { buckets: [], days: [], inWindow: 0 };
      perVault.set(e.principal, c);
    }
    const bucket = Math.floor(e.timeMs / bucketMs);
    addCount(c.buckets, bucket);
    c.inWindow++;
    const day = Math.floor(e.timeMs / DAY);
    addCount(c.days, day);
    const newest = c.buckets[c.buckets.length - 2]!;
    const oldest = newest - Math.ceil(window / bucketMs) + 1;
    let stale = 0;
    while (stale < c.buckets.length && c.buckets[stale]! < oldest) {
      c.inWindow -= c.buckets[stale + 1]!;
      stale += 2;
    }
    if (stale > 0) c.buckets.splice(0, stale);
    const inWindow = c.inWindow;
    if (inWindow <= threshold) return;
    if (c.lastFire !== undefined && e.timeMs - c.lastFire < window) return;
    const mean = this.baselineMean(c, day, window, e.vault);
    if (inWindow <= baselineFactor * mean) return;
    c.lastFire = e.timeMs;
    report({
      event: e,
      summary: `${actorOf(e)} retrieved ${inWindow} secrets or keys from vault ${e.vault} within ${windowText(window)}`,
      eventKeys: [e.key],
      evidence: {
        retrievals: inWindow,
        threshold,
        baselineMeanPerWindow: Math.round(mean * 100) / 100,
        baselineFactor,
      },
    });
  }

  private baselineMean(c: Counter, today: number, window: number, vault: string): number {
    const baselineDays = this.ctx.detection.baselineDays;
    const since = this.ctx.vaultSince(vault);
    const historyDays = since === undefined ? 0 : today - Math.floor(since / DAY);
    const covered = Math.min(baselineDays, historyDays);
    if (covered <= 0) return 0;
    let total = 0;
    for (let i = 0; i < c.days.length; i += 2) {
      const d = c.days[i]!;
      if (d < today && d >= today - covered) total += c.days[i + 1]!;
    }
    return total / ((covered * DAY) / window);
  }

  prune(watermarkMs: number): void {
    const { window } = this.ctx.detection.massRetrieval;
    // Expiry only matters at bucket granularity: sweep at most once per bucket of event time.
    const sweep = Math.floor(watermarkMs / Math.max(1000, Math.floor(window / BUCKETS), 3_600_000));
    if (sweep === this.lastSweep) return;
    this.lastSweep = sweep;
    const firstDay = Math.floor(watermarkMs / DAY) - this.ctx.detection.baselineDays;
    const bucketMs = Math.max(1000, Math.floor(window / BUCKETS));
    for (const [vault, perVault] of this.counters) {
      for (const [principal, c] of perVault) {
        let stale = 0;
        while (stale < c.days.length && c.days[stale]! < firstDay) stale += 2;
        if (stale > 0) c.days.splice(0, stale);
        const lastBucket = c.buckets[c.buckets.length - 2];
        if (lastBucket !== undefined && (lastBucket + 1) * bucketMs <= watermarkMs - window) {
          c.buckets = [];
          c.inWindow = 0;
        }
        if (c.days.length === 0 && c.buckets.length === 0) perVault.delete(principal);
      }
      if (perVault.size === 0) this.counters.delete(vault);
    }
  }

  exportState(): unknown {
    return [...this.counters].map(([vault, perVault]) => [
      vault,
      mapToEntries(perVault).map(([principal, c]): [string, CounterState] => [
        principal,
        { ...c, buckets: toPairs(c.buckets), days: toPairs(c.days) },
      ]),
    ]);
  }

  importState(state: unknown): void {
    this.counters = new Map(
      (Array.isArray(state) ? (state as [string, unknown][]) : []).map(([v, m]) => [
        v,
        new Map(
          [...entriesToMap<CounterState>(m)].map(([principal, c]): [string, Counter] => [
            principal,
            { ...c, buckets: c.buckets.flat(), days: c.days.flat() },
          ]),
        ),
      ]),
    );
  }
}

/**
 * Adds one to the count of `index` in an ascending flat [index, count, …] list (late indexes go to
 * their place). Flat, so the usual case (the newest index) touches one array.
 */
function addCount(list: number[], index: number): void {
  let i = list.length - 2;
  while (i >= 0 && list[i]! > index) i -= 2;
  if (i >= 0 && list[i] === index) list[i + 1]!++;
  else list.splice(i + 2, 0, index, 1);
}

function toPairs(flat: number[]): [number, number][] {
  const pairs: [number, number][] = [];
  for (let i = 0; i < flat.length; i += 2) pairs.push([flat[i]!, flat[i + 1]!]);
  return pairs;
}

function windowText(ms: number): string {
  if (ms % DAY === 0) return ms === DAY ? '1 day' : `${ms / DAY} days`;
  if (ms % 3_600_000 === 0) return `${ms / 3_600_000} h`;
  return `${Math.round(ms / 60_000)} min`;
}
