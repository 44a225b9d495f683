import type { DetectionConfig, VaultConfig } from '../config/schema.js';
import { InvalidParameterError } from '../errors.js';
import { CidrSet } from '../util/cidr.js';
import type { Detection } from './detection.js';
import { EventBuffer } from './event-buffer.js';
import { EventCompactor, type RuleEvent } from './rule-event.js';
import { RULE_IDS, type RuleId, type Severity } from './rule-ids.js';
import { RULE_FACTORIES } from './rules/index.js';
import type { Finding, Rule, RuleContext } from './rules/rule.js';
import { SeenKeys } from './seen-keys.js';

export interface EngineOptions {
  readonly detection: DetectionConfig;
  readonly vaults: Readonly<Record<string, VaultConfig>>;
}

const STATE_VERSION = 1;
const NONE: Detection[] = Object.freeze([]) as unknown as Detection[];
/** Sweep rule state for expiry at most once per this much event time. */
const PRUNE_EVERY_MS = 300_000;

interface EngineState {
  v: number;
  maxSeen: number | null;
  watermark: number | null;
  buffered: RuleEvent[];
  seen: unknown;
  nextPrune: number | null;
  vaultSince: [string, number][];
  rules: Partial<Record<RuleId, unknown>>;
}

/**
 * The streaming detection engine. Works on event time, not arrival time:
 * - events are held in a lateness buffer and released in (time, key) order once the watermark
 *   (max event time seen − `detection.lateness`) passes them, so input that is out of order by at most
 *   the lateness gives exactly the detections of sorted input;
 * - an event older than the watermark ("too late") is NOT dropped: it is released at once and evaluated
 *   against the current state (windows that have moved on may no longer count it);
 * - the same event key seen again within one to two lateness spans is ignored (the same record in two
 *   shapes, a blob read twice).
 * State is compact (windows and per-day aggregates), pruned as the watermark advances, and JSON-serializable.
 */
export class DetectionEngine {
  private readonly rules: Rule[] = [];
  private readonly reporters: ((f: Finding) => void)[] = [];
  private readonly lateness: number;
  private buffer = new EventBuffer();
  private readonly compactor = new EventCompactor();
  /** Event keys seen within the last one to two lateness spans, to drop duplicates. */
  private seen: SeenKeys;
  private since = new Map<string, number>();
  private maxSeen: number | undefined;
  private watermark: number | undefined;
  private nextPrune = Number.NEGATIVE_INFINITY;
  private out: Detection[] = [];

  constructor(options: EngineOptions) {
    const d = options.detection;
    this.lateness = d.lateness;
    this.seen = new SeenKeys(d.lateness);
    const ctx: RuleContext = {
      detection: d,
      vaults: Object.fromEntries(Object.entries(options.vaults).map(([k, v]) => [k.toLowerCase(), v])),
      knownNetworks: new CidrSet(d.knownNetworks),
      backupPrincipals: new Set(d.backupPrincipals.map((p) => p.toLowerCase())),
      vaultSince: (vault) => this.since.get(vault),
    };
    for (const id of RULE_IDS) {
      const override = d.rules[id];
      if (override?.enabled === false) continue;
      const rule = RULE_FACTORIES[id](ctx);
      this.rules.push(rule);
      // Severity: the configured override, else what the rule chose for this finding, else its default.
      this.reporters.push((f) =>
        this.out.push(toDetection(id, override?.severity ?? f.severity ?? rule.defaultSeverity, f)),
      );
    }
  }

  /** Restores an engine from `exportState()` output (same options expected). */
  static fromState(options: EngineOptions, state: unknown): DetectionEngine {
    const s = state as EngineState;
    if (!s || typeof s !== 'object' || s.v !== STATE_VERSION || !Array.isArray(s.buffered))
      throw new InvalidParameterError('state', 'is not a detection engine checkpoint of this version');
    const engine = new DetectionEngine(options);
    engine.maxSeen = s.maxSeen ?? undefined;
    engine.watermark = s.watermark ?? undefined;
    for (const e of s.buffered) engine.buffer.push(engine.compactor.compact(e));
    engine.nextPrune = s.nextPrune ?? Number.NEGATIVE_INFINITY;
    engine.seen = SeenKeys.fromState(options.detection.lateness, s.seen);
    engine.since = new Map(s.vaultSince);
    for (const rule of engine.rules) if (s.rules[rule.id] !== undefined) rule.importState(s.rules[rule.id]);
    return engine;
  }

  /** Accepts one event; returns the detections of every event the watermark has now released. */
  push(event: RuleEvent): Detection[] {
    if (!this.seen.add(event.key)) return NONE;
    this.buffer.push(this.compactor.compact(event));
    if (this.maxSeen === undefined || event.timeMs > this.maxSeen) this.maxSeen = event.timeMs;
    return this.release(this.maxSeen - this.lateness);
  }

  /**
   * Declares that event time has reached `timeMs` (e.g. the wall clock of a live feed with no new events):
   * events up to `timeMs − lateness` are released. Never moves the watermark backwards.
   */
  advanceTo(timeMs: number): Detection[] {
    return this.release(timeMs - this.lateness);
  }

  /** End of input: releases every buffered event. The engine can keep going afterwards. */
  flush(): Detection[] {
    return this.maxSeen === undefined ? this.drain() : this.release(this.maxSeen);
  }

  /** The current watermark (undefined before the first event). */
  get watermarkMs(): number | undefined {
    return this.watermark;
  }

  /** Number of events waiting in the lateness buffer. */
  get buffered(): number {
    return this.buffer.size;
  }

  exportState(): unknown {
    const state: EngineState = {
      v: STATE_VERSION,
      maxSeen: this.maxSeen ?? null,
      watermark: this.watermark ?? null,
      buffered: this.buffer.toSortedArray(),
      seen: this.seen.exportState(),
      nextPrune: Number.isFinite(this.nextPrune) ? this.nextPrune : null,
      vaultSince: [...this.since],
      rules: Object.fromEntries(this.rules.map((rule) => [rule.id, rule.exportState()])),
    };
    return JSON.parse(JSON.stringify(state));
  }

  private release(upTo: number): Detection[] {
    if (this.watermark === undefined || upTo > this.watermark) this.watermark = upTo;
    const wm = this.watermark;
    this.buffer.releaseUpTo(wm, this.evaluateFn);
    if (wm >= this.nextPrune) this.prune(wm);
    return this.drain();
  }

  private readonly evaluateFn = (e: RuleEvent) => this.evaluate(e);

  private evaluate(e: RuleEvent): void {
    const first = this.since.get(e.vault);
    if (first === undefined || e.timeMs < first) this.since.set(e.vault, e.timeMs);
    for (let i = 0; i < this.rules.length; i++) this.rules[i]!.observe(e, this.reporters[i]!);
  }

  private prune(wm: number): void {
    this.nextPrune = wm + PRUNE_EVERY_MS;
    this.seen.advance(wm);
    for (const rule of this.rules) rule.prune(wm);
  }

  private drain(): Detection[] {
    // Most events detect nothing: answer with one shared, frozen empty list rather than a new one.
    if (this.out.length === 0) return NONE;
    const out = this.out;
    this.out = [];
    return out;
  }
}

function toDetection(rule: RuleId, severity: Severity, f: Finding): Detection {
  const e = f.event;
  return {
    rule,
    severity,
    vault: e.vault,
    principal: f.principal ?? e.principal,
    ...(e.identity.upn ? { principalUpn: e.identity.upn } : {}),
    ...(e.identity.appId ? { appId: e.identity.appId } : {}),
    ...(e.ip ? { ip: e.ip } : {}),
    time: new Date(e.timeMs).toISOString(),
    timeMs: e.timeMs,
    summary: f.summary,
    eventKeys: f.eventKeys,
    evidence: f.evidence,
  };
}
