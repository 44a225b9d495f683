import { actorOf, principalOrIp } from '../describe.js';
import type { RuleEvent } from '../rule-event.js';
import {
  entriesToMap,
  type Finding,
  insertSorted,
  mapToEntries,
  type Rule,
  type RuleContext,
} from './rule.js';

/** A failure for the burst rule: status ≥ 400, except the SDK's 401 Authentication challenge and 429 throttling. */
export function isCountedFailure(e: RuleEvent): boolean {
  const status = e.status;
  if (status === undefined) return !e.success;
  if (status < 400 || status === 429) return false;
  return !(status === 401 && e.operation === 'Authentication');
}

interface Window {
  /** Failure times inside the window, ascending, with their event keys. */
  times: number[];
  keys: string[];
  /** True while the current burst has already been reported. */
  active: boolean;
}

/**
 * failed-request-burst: MORE than `failedBurst.threshold` failures within any sliding `window`
 * ((t − window, t]) per vault and principal-or-IP. Fires once when the count first exceeds the
 * threshold; the burst stays reported until the count in the window falls back to the threshold or
 * below, after which a new burst fires again.
 */
export class FailedBurstRule implements Rule {
  readonly id = 'failed-request-burst' as const;
  readonly defaultSeverity = 'medium' as const;
  private windows = new Map<string, Window>();
  constructor(private readonly ctx: RuleContext) {}

  observe(e: RuleEvent, report: (f: Finding) => void): void {
    if (!isCountedFailure(e)) return;
    const { threshold, window } = this.ctx.detection.failedBurst;
    const who = principalOrIp(e);
    const id = `${e.vault}|${who}`;
    let w = this.windows.get(id);
    if (!w) {
      w = { times: [], keys: [], active: false };
      this.windows.set(id, w);
    }
    const at = insertSorted(w.times, e.timeMs);
    w.keys.splice(at, 0, e.key);
    const newest = w.times[w.times.length - 1]!;
    let drop = 0;
    while (drop < w.times.length && w.times[drop]! <= newest - window) drop++;
    if (drop > 0) {
      w.times.splice(0, drop);
      w.keys.splice(0, drop);
    }
    if (w.times.length <= threshold) {
      w.active = false;
      return;
    }
    if (w.active) return;
    w.active = true;
    const minutes = Math.max(1, Math.round((newest - w.times[0]!) / 60_000));
    report({
      event: e,
      principal: who,
      summary: `${actorOf(e)} made ${w.times.length} failed requests to vault ${e.vault} within ${minutes} min`,
      eventKeys: [...w.keys],
      evidence: {
        failures: w.times.length,
        threshold,
        windowSeconds: window / 1000,
        lastStatus: e.status ?? 0,
      },
    });
  }

  prune(watermarkMs: number): void {
    const window = this.ctx.detection.failedBurst.window;
    for (const [id, w] of this.windows) {
      const last = w.times[w.times.length - 1];
      if (last === undefined || last <= watermarkMs - window) this.windows.delete(id);
    }
  }

  exportState(): unknown {
    return mapToEntries(this.windows);
  }

  importState(state: unknown): void {
    this.windows = entriesToMap<Window>(state);
  }
}
