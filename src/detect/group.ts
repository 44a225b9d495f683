import { type Detection, fingerprintOf } from './detection.js';
import { type RuleId, type Severity, severityRank } from './rule-ids.js';

/**
 * The grouping rule shared by `detect` and the alert service (DESIGN §4.1): a detection joins the
 * group of its fingerprint when `timeMs − group.firstSeenMs < windowMs`. Callers look groups up by
 * fingerprint; this only decides the time part.
 */
export function belongsToGroup(
  group: { readonly firstSeenMs: number },
  detection: { readonly timeMs: number },
  windowMs: number,
): boolean {
  return detection.timeMs - group.firstSeenMs < windowMs;
}

/** Detections with one fingerprint inside the grouping window: one alert with a count. */
export interface DetectionGroup {
  readonly fingerprint: string;
  readonly rule: RuleId;
  readonly vault: string;
  readonly principal: string;
  severity: Severity;
  firstSeenMs: number;
  lastSeenMs: number;
  count: number;
  /** The summary of the first detection. */
  summary: string;
  /** Event keys behind the group, first-seen order, no repeats. */
  readonly events: string[];
  principalUpn?: string;
  appId?: string;
}

/**
 * Streaming grouper: feed detections in (roughly) event-time order; groups come out when a later
 * detection of the same fingerprint falls outside their window, when `closeBefore` passes them, or at `closeAll`.
 */
export class Grouper {
  private readonly open = new Map<string, DetectionGroup>();
  private readonly keys = new Map<string, Set<string>>();
  constructor(private readonly windowMs: number) {}

  /** Adds a detection; returns the group it closed, if it started a new one. */
  add(d: Detection): DetectionGroup | undefined {
    const fp = fingerprintOf(d);
    const current = this.open.get(fp);
    if (current && belongsToGroup(current, d, this.windowMs)) {
      current.count++;
      current.firstSeenMs = Math.min(current.firstSeenMs, d.timeMs);
      current.lastSeenMs = Math.max(current.lastSeenMs, d.timeMs);
      if (severityRank(d.severity) > severityRank(current.severity)) current.severity = d.severity;
      current.principalUpn ??= d.principalUpn;
      current.appId ??= d.appId;
      const seen = this.keys.get(fp)!;
      for (const k of d.eventKeys)
        if (!seen.has(k)) {
          seen.add(k);
          current.events.push(k);
        }
      return undefined;
    }
    this.open.set(fp, startGroup(fp, d));
    this.keys.set(fp, new Set(d.eventKeys));
    return current;
  }

  /** Closes the groups that no detection at or after `timeMs` can join any more. */
  closeBefore(timeMs: number): DetectionGroup[] {
    const closed: DetectionGroup[] = [];
    for (const [fp, g] of this.open)
      if (!belongsToGroup(g, { timeMs }, this.windowMs)) {
        closed.push(g);
        this.open.delete(fp);
        this.keys.delete(fp);
      }
    return closed;
  }

  closeAll(): DetectionGroup[] {
    const all = [...this.open.values()];
    this.open.clear();
    this.keys.clear();
    return all;
  }
}

function startGroup(fingerprint: string, d: Detection): DetectionGroup {
  return {
    fingerprint,
    rule: d.rule,
    vault: d.vault,
    principal: d.principal,
    severity: d.severity,
    firstSeenMs: d.timeMs,
    lastSeenMs: d.timeMs,
    count: 1,
    summary: d.summary,
    events: [...new Set(d.eventKeys)],
    ...(d.principalUpn ? { principalUpn: d.principalUpn } : {}),
    ...(d.appId ? { appId: d.appId } : {}),
  };
}

/** Deterministic order of groups: first seen, then rule, vault, principal. */
export function compareGroups(a: DetectionGroup, b: DetectionGroup): number {
  return (
    a.firstSeenMs - b.firstSeenMs ||
    cmp(a.rule, b.rule) ||
    cmp(a.vault, b.vault) ||
    cmp(a.principal, b.principal)
  );
}

/** Code-unit order: independent of the locale. */
function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Batch grouping (DESIGN §4.1): same fingerprint within `windowMs` of the group's first detection = one group. */
export function groupDetections(detections: readonly Detection[], windowMs: number): DetectionGroup[] {
  const sorted = [...detections].sort(
    (a, b) => a.timeMs - b.timeMs || cmp(fingerprintOf(a), fingerprintOf(b)),
  );
  const grouper = new Grouper(windowMs);
  const out: DetectionGroup[] = [];
  for (const d of sorted) {
    const closed = grouper.add(d);
    if (closed) out.push(closed);
  }
  out.push(...grouper.closeAll());
  return out.sort(compareGroups);
}

/** The `detect` output line (DESIGN §4.1 keys first, extras after). */
export function toAlertJson(g: DetectionGroup): Record<string, unknown> {
  return {
    rule: g.rule,
    vault: g.vault,
    principal: g.principal,
    severity: g.severity,
    firstSeen: new Date(g.firstSeenMs).toISOString(),
    lastSeen: new Date(g.lastSeenMs).toISOString(),
    count: g.count,
    summary: g.summary,
    events: g.events,
    fingerprint: g.fingerprint,
    ...(g.principalUpn ? { principalUpn: g.principalUpn } : {}),
    ...(g.appId ? { appId: g.appId } : {}),
  };
}
