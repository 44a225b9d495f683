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
  private episodes = new Map<string, Episode>();
  constructor(private readonly ctx: RuleContext) {}

  observe(e: RuleEvent, report: (f: Finding) => void): void {
    if (!e.success || e.principal === 'unknown') return;
    const isList = LISTS.has(e.operation);
    if (!isList && !GETS.has(e.operation)) return;
    const { distinctObjects, window } = this.ctx.detection.bulkEnumeration;
    const id = `${e.vault}|${e.principal}`;
    let ep = this.episodes.get(id);
    if (isList) {
      if (!ep) {
        ep = { lists: [], gets: [], last: e.timeMs };
        this.episodes.set(id, ep);
      }
      insertSorted(ep.lists, e.timeMs);
      dropBefore(ep.lists, e.timeMs - window);
      ep.last = Math.max(ep.last, e.timeMs);
      return;
    }
    const obj = objectKey(e.object);
    if (!ep || !obj) return;
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
    this.episodes.delete(id);
    report({
      event: e,
      summary: `${actorOf(e)} listed vault ${e.vault} and then read ${count} different objects within ${Math.max(1, Math.round((t - firstList) / 60_000))} min`,
      eventKeys: keys,
      evidence: { distinctObjects: count, threshold: distinctObjects, windowSeconds: window / 1000 },
    });
  }

  prune(watermarkMs: number): void {
    const window = this.ctx.detection.bulkEnumeration.window;
    for (const [id, ep] of this.episodes) if (ep.last <= watermarkMs - window) this.episodes.delete(id);
  }

  exportState(): unknown {
    return mapToEntries(this.episodes);
  }

  importState(state: unknown): void {
    this.episodes = entriesToMap<Episode>(state);
  }
}

/** Removes the leading times ≤ `limit` from an ascending array. */
function dropBefore(times: number[], limit: number): void {
  let stale = 0;
  while (stale < times.length && times[stale]! <= limit) stale++;
  if (stale > 0) times.splice(0, stale);
}
