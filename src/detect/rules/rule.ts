import type { DetectionConfig, VaultConfig } from '../../config/schema.js';
import type { CidrSet } from '../../util/cidr.js';
import type { RuleEvent } from '../rule-event.js';
import type { RuleId, Severity } from '../rule-ids.js';

/** What a rule reports; the engine adds rule id, configured severity, vault, time and display identity. */
export interface Finding {
  readonly event: RuleEvent;
  /** Defaults to the event's principal. */
  readonly principal?: string;
  /** Rule-chosen severity (e.g. self-grant); a configured severity override wins over it. */
  readonly severity?: Severity;
  readonly summary: string;
  readonly eventKeys: readonly string[];
  readonly evidence: Readonly<Record<string, string | number | boolean>>;
}

/** Read-only facts shared by all rules, kept by the engine. */
export interface RuleContext {
  readonly detection: DetectionConfig;
  readonly vaults: Readonly<Record<string, VaultConfig>>;
  readonly knownNetworks: CidrSet;
  readonly backupPrincipals: ReadonlySet<string>;
  /** Earliest event time seen for a vault (its history start), if any. */
  vaultSince(vault: string): number | undefined;
}

/**
 * One streaming rule. Events arrive in event-time order (late ones may arrive after the watermark);
 * state must be compact (windows and per-day aggregates only), JSON-serializable and pruned.
 */
export interface Rule {
  readonly id: RuleId;
  readonly defaultSeverity: Severity;
  observe(event: RuleEvent, report: (f: Finding) => void): void;
  /** Drops state that can no longer influence a detection once event time has reached `watermarkMs`. */
  prune(watermarkMs: number): void;
  exportState(): unknown;
  importState(state: unknown): void;
}

/** Inserts `t` into an ascending array, keeping it sorted (late events go to their place). */
export function insertSorted(times: number[], t: number): number {
  let i = times.length;
  while (i > 0 && times[i - 1]! > t) i--;
  times.splice(i, 0, t);
  return i;
}

export function mapToEntries<V>(m: Map<string, V>): [string, V][] {
  return [...m.entries()];
}

export function entriesToMap<V>(value: unknown): Map<string, V> {
  return new Map(Array.isArray(value) ? (value as [string, V][]) : []);
}
