import { actorOf, objectKey } from '../describe.js';
import type { RuleEvent } from '../rule-event.js';
import {
  entriesToMap,
  type Finding,
  insertSorted,
  mapToEntries,
  type Rule,
  type RuleContext,
} from './rule.js';

const LISTS = new Set(['SecretList', 'KeyList', 'CertificateList']);
const GETS = new Set(['SecretGet', 'KeyGet', 'CertificateGet']);

interface Episode {
  /** Successful list times within the window, ascending. */
  lists: number[];
  /** Distinct objects fetched after a list: object → [time, event key]. */
  gets: [string, number, string][];
  last: number;
}

/**
 * bulk-enumeration: a successful list (SecretList/KeyList/CertificateList) followed, within `window` of
 * that list, by successful Gets of at least `distinctObjects` distinct objects by the same principal on
 * the same vault. Fires once per episode; the episode then starts afresh (a new list is needed).
 */
export class BulkEnumerationRule implements Rule {
  readonly id = 'bulk-enumeration' as const;
  readonly defaultSeverity = 'high' as const;
  /** vault → principal → episode (nested, so no key string is built per event). */
  private episodes = new Map<string, Map<string, Episode>>();
  constructor(private readonly ctx: RuleContext) {}

  observe(e: RuleEvent, report: (f: Finding) => void): void {
    if (!e.success || e.principal === 'unknown') return;
    const isList = LISTS.has(e.operation);
    if (!isList && !GETS.has(e.operation)) return;
    const { distinctObjects, window } = this.ctx.detection.bulkEnumeration;
    let perVault = this.episodes.get(e.vault);
    let ep = perVault?.get(e.principal);
    if (isList) {
      if (!perVault) {
        perVault = new Map();
        this.episodes.set(e.vault, perVault);
      }
      if (!ep) {
        ep = { lists: [], gets: [], last: e.timeMs };
        perVault.set(e.principal, ep);
      }
      insertSorted(ep.lists, e.timeMs);
      dropBefore(ep.lists, e.timeMs - window);
      ep.last = Math.max(ep.last, e.timeMs);
      return;
    }
    if (!ep) return;
    const obj = objectKey(e.object);
    if (!obj) return;
    const t = e.timeMs;
    dropBefore(ep.lists, t - window);
    const firstList = ep.lists.find((l) => l <= t);
    if (firstList === undefined) return;
    ep.last = Math.max(ep.last, t);
    ep.gets = ep.gets.filter(([o, g]) => g >= firstList && g > t - window && o !== obj);
    ep.gets.push([obj, t, e.key]);
    if (ep.gets.length < distinctObjects) return;
    const keys = ep.gets.map(([, , k]) => k);
    const count = ep.gets.length;
    perVault?.delete(e.principal);
    report({
      event: e,
      summary: `${actorOf(e)} listed vault ${e.vault} and then read ${count} different objects within ${Math.max(1, Math.round((t - firstList) / 60_000))} min`,
      eventKeys: keys,
      evidence: { distinctObjects: count, threshold: distinctObjects, windowSeconds: window / 1000 },
    });
  }

  prune(watermarkMs: number): void {
    const window = this.ctx.detection.bulkEnumeration.window;
    for (const [vault, perVault] of this.episodes) {
      for (const [p, ep] of perVault) if (ep.last <= watermarkMs - window) perVault.delete(p);
      if (perVault.size === 0) this.episodes.delete(vault);
    }
  }

  exportState(): unknown {
    return [...this.episodes].map(([vault, perVault]) => [vault, mapToEntries(perVault)]);
  }

  importState(state: unknown): void {
    this.episodes = new Map(
      (Array.isArray(state) ? (state as [string, unknown][]) : []).map(([v, m]) => [
        v,
        entriesToMap<Episode>(m),
      ]),
    );
  }
}

/** Removes the leading times ≤ `limit` from an ascending array. */
function dropBefore(times: number[], limit: number): void {
  let stale = 0;
  while (stale < times.length && times[stale]! <= limit) stale++;
  if (stale > 0) times.splice(0, stale);
}
