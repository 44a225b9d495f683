import { actorOf, isDataPlane, objectText } from '../describe.js';
import type { RuleEvent } from '../rule-event.js';
import type { Finding, Rule, RuleContext } from './rule.js';

const DAY = 86_400_000;

/**
 * new-principal: a successful data-plane operation (Secret*, Key*, Certificate*, not *EventGridNotification)
 * by a principal with no successful data-plane operation on the same vault in the previous `baselineDays`.
 * Silent until the vault has `baselineDays` of history (warm-up). Failed attempts (401/403) neither fire
 * nor enter the baseline. After firing the principal is in the baseline, so it fires once.
 * State: per vault, principal → time of its last success (pruned after `baselineDays`).
 */
export class NewPrincipalRule implements Rule {
  readonly id = 'new-principal' as const;
  readonly defaultSeverity = 'medium' as const;
  /** vault → principal → time of its last success (held in a box, so an update is one lookup). */
  private lastSuccess = new Map<string, Map<string, { t: number }>>();
  private lastSweep: number | undefined;
  constructor(private readonly ctx: RuleContext) {}

  private get baselineMs(): number {
    return this.ctx.detection.baselineDays * DAY;
  }

  observe(e: RuleEvent, report: (f: Finding) => void): void {
    if (!e.success || e.principal === 'unknown' || !isDataPlane(e.operation)) return;
    let seen = this.lastSuccess.get(e.vault);
    if (!seen) {
      seen = new Map();
      this.lastSuccess.set(e.vault, seen);
    }
    const box = seen.get(e.principal);
    const last = box?.t;
    if (box === undefined) seen.set(e.principal, { t: e.timeMs });
    else if (e.timeMs > box.t) box.t = e.timeMs;
    const since = this.ctx.vaultSince(e.vault) ?? e.timeMs;
    const warm = e.timeMs - since >= this.baselineMs;
    if (!warm || (last !== undefined && e.timeMs - last <= this.baselineMs)) return;
    report({
      event: e,
      summary: `${actorOf(e)} used vault ${e.vault} for the first time in ${this.ctx.detection.baselineDays} days (${e.operation} on ${objectText(e)})`,
      eventKeys: [e.key],
      evidence: { operation: e.operation, baselineDays: this.ctx.detection.baselineDays },
    });
  }

  prune(watermarkMs: number): void {
    // Baselines are days long: sweeping once per hour of event time is plenty.
    const hour = Math.floor(watermarkMs / 3_600_000);
    if (hour === this.lastSweep) return;
    this.lastSweep = hour;
    for (const [vault, seen] of this.lastSuccess) {
      for (const [p, box] of seen) if (box.t < watermarkMs - this.baselineMs) seen.delete(p);
      if (seen.size === 0) this.lastSuccess.delete(vault);
    }
  }

  exportState(): unknown {
    return [...this.lastSuccess].map(([vault, seen]) => [vault, [...seen].map(([p, box]) => [p, box.t])]);
  }

  importState(state: unknown): void {
    this.lastSuccess = new Map(
      (Array.isArray(state) ? (state as [string, [string, number][]][]) : []).map(([v, s]) => [
        v,
        new Map(s.map(([p, t]) => [p, { t }])),
      ]),
    );
  }
}
