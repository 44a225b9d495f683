import { POLICY_NOTICE_TYPES } from '../alerts/policy-notices.js';
import type { AuditEvent, AuditItem, VaultNotice } from '../audit/audit-event.js';
import type { Detection } from '../detect/detection.js';
import type { IntakeOrigin, IntakePipeline, IntakeResult } from '../ingest/pipeline.js';
import type { Store } from '../store/store.js';
import type { Clock } from '../util/clock.js';
import type { Logger } from '../util/logger.js';
import type { Metrics } from '../util/metrics.js';
import { Checkpointer } from './checkpointer.js';
import {
  DETECTOR_CHECKPOINT,
  type PipelineCheckpoint,
  type SeenMark,
  saveCheckpoint,
} from './pipeline-checkpoint.js';
import type { RetentionPruner } from './retention-pruner.js';
import { SerialQueue } from './serial-queue.js';

/** The detection engine as the pipeline uses it (`DetectionEngine` from src/detect). */
export interface StreamingDetector {
  push(event: AuditEvent): Detection[];
  advanceTo(timeMs: number): Detection[];
  exportState(): unknown;
  readonly buffered: number;
}

/** Persists detections as alerts and queues their cards (`AlertService`). */
export interface DetectionRecorder {
  record(detections: readonly Detection[]): Promise<unknown>;
}

/** Turns an Event Grid expiry notice into a card delivery. */
export interface NoticeSink {
  post(notice: VaultNotice): Promise<void>;
}

/** Links Key Vault `VaultAccessPolicyChanged` notices to the alerts of the same change (`AlertService`). */
export interface PolicyNoticeSink {
  corroborate(notice: VaultNotice): Promise<unknown>;
}

/** Called with the events accepted for the first time (e.g. appends them to the query history). */
export type AcceptedHook = (events: readonly AuditEvent[], origin: IntakeOrigin) => Promise<void> | void;

/** Store collection: Event Grid notices already turned into cards (by notice id). */
export const NOTICES = 'notices';

/**
 * Event Grid types that become "expiring soon" cards; `VaultAccessPolicyChanged` goes to the PolicyNoticeSink;
 * other notice types are logged and dropped.
 */
export const EXPIRY_NOTICE_TYPES: ReadonlySet<string> = new Set([
  'SecretNearExpiry',
  'SecretExpired',
  'KeyNearExpiry',
  'KeyExpired',
  'CertificateNearExpiry',
  'CertificateExpired',
]);

export interface IntakePipelineOptions {
  readonly store: Store;
  readonly detector: StreamingDetector;
  readonly alerts: DetectionRecorder;
  readonly notices?: NoticeSink;
  readonly policyNotices?: PolicyNoticeSink;
  /** Prunes the seen-key set after checkpoints (at most hourly). */
  readonly pruner?: RetentionPruner;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly metrics?: Metrics;
  /** With no intake for this long, the watermark advances to the clock so open windows close. Default 5 s. */
  readonly idleMs?: number;
  /** Detections a previous run produced but could not record (from `loadPipelineCheckpoint`). */
  readonly unrecorded?: readonly Detection[];
  /** Event keys the loaded checkpoint covers that may not be marked seen yet (from `loadPipelineCheckpoint`). */
  readonly unmarked?: readonly SeenMark[];
}

/**
 * The intake pipeline (DESIGN §1): dedupe by event key → detection at event time → alerts (persisted,
 * cards queued) → detector checkpoint → event keys marked seen. Batches are processed one at a time in
 * arrival order; checkpoints are group-committed, and `ingest` resolves only after a checkpoint that covers
 * its batch is stored and the batch's keys are marked.
 *
 * Keys become durable with the state they fed: an accepted key is held in memory (so a duplicate arriving
 * meanwhile is skipped) and marked seen in the store only after the checkpoint holding the detector state
 * that counted it, and the checkpoint lists the keys whose marks are still to be written. A crash before
 * the checkpoint therefore leaves the keys unseen, and their redelivery counts again in the restored
 * windows; a crash between checkpoint and marks is finished on the next start from that list.
 */
export class DefaultIntakePipeline implements IntakePipeline {
  private readonly serial = new SerialQueue();
  private readonly checkpointer: Checkpointer;
  private readonly hooks: AcceptedHook[] = [];
  private readonly idleMs: number;
  private lastIntakeMs: number;
  private idleTimer: NodeJS.Timeout | undefined;
  private stopped = false;
  private checkpointVersion: string | undefined;
  /**
   * Detections whose recording failed (store trouble). Their events are already in the detector state, so
   * they are kept — in memory and in the checkpoint — and recorded before anything else (record is idempotent).
   */
  private unrecorded: Detection[];
  /**
   * Accepted event keys (→ event time) not yet marked seen in the store: marked once a checkpoint covering
   * them is stored. A key leaves this map only after its mark is written.
   */
  private readonly inFlight = new Map<string, number>();

  constructor(private readonly options: IntakePipelineOptions) {
    this.unrecorded = [...(options.unrecorded ?? [])];
    for (const m of options.unmarked ?? []) this.inFlight.set(m.key, m.timeMs);
    this.idleMs = options.idleMs ?? 5_000;
    this.lastIntakeMs = options.clock.now();
    this.checkpointer = new Checkpointer(() => this.save());
  }

  /** Registers a hook for accepted events (the queries engineer's history). */
  onAccepted(hook: AcceptedHook): void {
    this.hooks.push(hook);
  }

  async ingest(items: readonly AuditItem[], origin: IntakeOrigin): Promise<IntakeResult> {
    if (this.stopped) throw new Error('intake pipeline is stopped');
    let result: IntakeResult;
    try {
      result = await this.serial.run(() => this.process(items, origin));
    } catch (err) {
      // Keep what was detected but not recorded durable too (best effort: the store may be what failed).
      if (this.unrecorded.length > 0) await this.checkpointer.commit().catch(() => undefined);
      throw err;
    }
    await this.checkpointer.commit();
    return result;
  }

  /** Advances the watermark to the clock (what the idle timer does). Exposed for tests and shutdown. */
  async advanceToClock(): Promise<number> {
    const changed = await this.serial.run(async () => {
      const before = this.options.detector.buffered;
      const detections = this.options.detector.advanceTo(this.options.clock.now());
      if (detections.length > 0) await this.record(detections);
      return detections.length > 0 || before !== this.options.detector.buffered ? detections.length : -1;
    });
    if (changed >= 0) await this.checkpointer.commit();
    return Math.max(changed, 0);
  }

  /** Starts the idle timer. */
  start(): void {
    if (this.idleTimer || this.idleMs <= 0) return;
    this.idleTimer = setInterval(() => {
      if (this.options.clock.now() - this.lastIntakeMs < this.idleMs) return;
      this.advanceToClock().catch((err) => this.options.logger.error({ err }, 'watermark advance failed'));
    }, this.idleMs);
    this.idleTimer.unref();
  }

  /** Stops intake and the timer, then writes a last checkpoint. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.idleTimer) clearInterval(this.idleTimer);
    this.idleTimer = undefined;
    await this.serial.run(async () => undefined);
    await this.checkpointer.commit();
    await this.options.pruner?.idle();
  }

  private async process(items: readonly AuditItem[], origin: IntakeOrigin): Promise<IntakeResult> {
    const { store, detector, metrics, logger } = this.options;
    this.lastIntakeMs = this.options.clock.now();
    // Earlier detections that could not be recorded go first; if that still fails, nothing of this batch
    // is marked seen, so its source delivers it again later.
    if (this.unrecorded.length > 0) await this.record([]);
    const events: AuditEvent[] = [];
    const notices: VaultNotice[] = [];
    for (const item of items) {
      if (item.kind === 'audit') events.push(item.event);
      else notices.push(item.notice);
    }
    let accepted: AuditEvent[] = [];
    if (events.length > 0) {
      // In-flight keys are checked before the store is read: a key leaves `inFlight` only once its mark
      // is written, so every key is either still in flight here or visible to the read. A key twice in
      // one batch is processed once.
      const taken = new Set<string>();
      const candidates = events.filter(
        (e) => !this.inFlight.has(e.key) && !taken.has(e.key) && taken.add(e.key),
      );
      if (candidates.length > 0) {
        const unseen = await store.filterUnseen(candidates.map((e) => ({ key: e.key, timeMs: e.timeMs })));
        accepted =
          unseen.size === candidates.length ? candidates : candidates.filter((e) => unseen.has(e.key));
        for (const e of accepted) this.inFlight.set(e.key, e.timeMs);
      }
    }
    const duplicates = events.length - accepted.length;
    const detections: Detection[] = [];
    for (const event of accepted) for (const d of detector.push(event)) detections.push(d);
    if (detections.length > 0) await this.record(detections);
    for (const hook of this.hooks) await hook(accepted, origin);
    let noticeCards = 0;
    for (const notice of notices) if (await this.handleNotice(notice)) noticeCards++;
    if (metrics) {
      if (accepted.length > 0)
        metrics.eventsIngested.inc({ source: sourceLabel(origin.source) }, accepted.length);
      if (duplicates > 0) metrics.duplicateEvents.inc(duplicates);
    }
    if (duplicates > 0)
      logger.debug({ source: origin.source, duplicates }, 'skipped already-processed events');
    return { accepted: accepted.length, duplicates, alerts: detections.length + noticeCards };
  }

  /**
   * One checkpoint: the detector state, unrecorded detections and in-flight keys, taken together between
   * batches; then the marks for those keys. Runs from the group-commit `Checkpointer`.
   */
  private async save(): Promise<void> {
    const { store, detector } = this.options;
    const snapshot = await this.serial.run(async () => ({
      engine: detector.exportState(),
      unrecorded: [...this.unrecorded],
      unmarked: [...this.inFlight],
    }));
    const checkpoint: PipelineCheckpoint = { v: 3, ...snapshot };
    this.checkpointVersion = await saveCheckpoint(
      store,
      DETECTOR_CHECKPOINT,
      checkpoint,
      this.checkpointVersion,
    );
    let newestMs: number | undefined;
    if (snapshot.unmarked.length > 0) {
      await store.markSeen(snapshot.unmarked.map(([key, timeMs]) => ({ key, timeMs })));
      for (const [key, timeMs] of snapshot.unmarked) {
        this.inFlight.delete(key);
        if (newestMs === undefined || timeMs > newestMs) newestMs = timeMs;
      }
    }
    this.options.pruner?.due(newestMs);
  }

  private async record(detections: Detection[]): Promise<void> {
    const batch = this.unrecorded.length > 0 ? [...this.unrecorded, ...detections] : detections;
    try {
      await this.options.alerts.record(batch);
      this.unrecorded = [];
    } catch (err) {
      this.unrecorded = batch;
      throw err;
    }
  }

  /**
   * Posts an expiry card once per notice id, or links a `VaultAccessPolicyChanged` notice to the alerts of
   * the same change (never a card or alert of its own); returns whether a card was queued.
   */
  private async handleNotice(notice: VaultNotice): Promise<boolean> {
    const { store, notices, policyNotices, logger } = this.options;
    if (POLICY_NOTICE_TYPES.has(notice.type) && policyNotices) {
      await policyNotices.corroborate(notice);
      return false;
    }
    if (!EXPIRY_NOTICE_TYPES.has(notice.type)) {
      logger.debug({ type: notice.type, vault: notice.vault }, 'Event Grid notice type not shown as a card');
      return false;
    }
    if (!notices) return false;
    const created = await store.create(NOTICES, notice.id, {
      type: notice.type,
      vault: notice.vault,
      objectName: notice.objectName ?? null,
      at: notice.time,
    });
    if (!created) return false;
    await notices.post(notice);
    return true;
  }
}

/** Metric label for a source: its kind (`folder`, `servicebus`, …), never a file name (unbounded). */
function sourceLabel(source: string): string {
  const colon = source.indexOf(':');
  return colon > 0 ? source.slice(0, colon) : source || 'unknown';
}
