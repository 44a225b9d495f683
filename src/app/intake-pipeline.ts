import type { AuditEvent, AuditItem, VaultNotice } from '../audit/audit-event.js';
import type { Detection } from '../detect/detection.js';
import type { IntakeOrigin, IntakePipeline, IntakeResult } from '../ingest/pipeline.js';
import type { Store } from '../store/store.js';
import type { Clock } from '../util/clock.js';
import type { Logger } from '../util/logger.js';
import type { Metrics } from '../util/metrics.js';
import { Checkpointer } from './checkpointer.js';
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

/** Called with the events accepted for the first time (e.g. appends them to the query history). */
export type AcceptedHook = (events: readonly AuditEvent[], origin: IntakeOrigin) => Promise<void> | void;

/** Store collection: detector checkpoint (`detector`) and source offsets. */
export const CHECKPOINTS = 'checkpoints';
/** Store collection: Event Grid notices already turned into cards (by notice id). */
export const NOTICES = 'notices';
export const DETECTOR_CHECKPOINT = 'detector';

/** Event Grid types that become "expiring soon" cards; other notice types are logged and dropped. */
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
  readonly clock: Clock;
  readonly logger: Logger;
  readonly metrics?: Metrics;
  /** With no intake for this long, the watermark advances to the clock so open windows close. Default 5 s. */
  readonly idleMs?: number;
  /** Detections a previous run produced but could not record (from `loadPipelineCheckpoint`). */
  readonly unrecorded?: readonly Detection[];
}

/** The stored checkpoint: the detector state and the detections not yet recorded as alerts. */
interface PipelineCheckpoint {
  readonly v: 2;
  readonly engine: unknown;
  readonly unrecorded: readonly Detection[];
}

/** Reads the pipeline checkpoint (also the older form that held only the detector state). */
export async function loadPipelineCheckpoint(
  store: Store,
): Promise<{ engine?: unknown; unrecorded: Detection[] }> {
  const saved = (await store.get<unknown>(CHECKPOINTS, DETECTOR_CHECKPOINT))?.value;
  if (saved === undefined) return { unrecorded: [] };
  const c = saved as Partial<PipelineCheckpoint>;
  if (c && typeof c === 'object' && c.v === 2)
    return { engine: c.engine, unrecorded: [...(c.unrecorded ?? [])] };
  return { engine: saved, unrecorded: [] };
}

/**
 * The intake pipeline (DESIGN §1): dedupe by event key → detection at event time → alerts (persisted,
 * cards queued) → detector checkpoint. Batches are processed one at a time in arrival order; checkpoints
 * are group-committed, and `ingest` resolves only after a checkpoint that covers its batch is stored.
 *
 * Crash window: event keys are marked seen before the checkpoint that covers them, so a crash between
 * the two loses those events' contribution to open windows (they are not re-detected on redelivery).
 */
export class DefaultIntakePipeline implements IntakePipeline {
  private readonly serial = new SerialQueue();
  private readonly checkpointer: Checkpointer;
  private readonly hooks: AcceptedHook[] = [];
  private readonly idleMs: number;
  private lastIntakeMs: number;
  private idleTimer: NodeJS.Timeout | undefined;
  private stopped = false;
  /**
   * Detections whose recording failed (store trouble). Their events are already marked seen, so they
   * are kept — in memory and in the checkpoint — and recorded before anything else (record is idempotent).
   */
  private unrecorded: Detection[];

  constructor(private readonly options: IntakePipelineOptions) {
    this.unrecorded = [...(options.unrecorded ?? [])];
    this.idleMs = options.idleMs ?? 5_000;
    this.lastIntakeMs = options.clock.now();
    let version: string | undefined;
    this.checkpointer = new Checkpointer(async () => {
      version = await saveCheckpoint(
        options.store,
        DETECTOR_CHECKPOINT,
        {
          v: 2,
          engine: options.detector.exportState(),
          unrecorded: this.unrecorded,
        } satisfies PipelineCheckpoint,
        version,
      );
    });
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
      const fresh = await store.markSeen(events.map((e) => ({ key: e.key, timeMs: e.timeMs })));
      // markSeen answers per key; a key twice in one batch is processed once.
      const taken = new Set<string>();
      accepted = events.filter((e) => fresh.has(e.key) && !taken.has(e.key) && taken.add(e.key));
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

  /** Posts an expiry card once per notice id; returns whether a card was queued. */
  private async handleNotice(notice: VaultNotice): Promise<boolean> {
    const { store, notices, logger } = this.options;
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

/**
 * Creates or replaces a checkpoint document (one writer per id). `knownVersion` (what the last call
 * returned) saves a read; on a conflict the current version is read and the write retried.
 * Returns the stored version.
 */
export async function saveCheckpoint(
  store: Store,
  id: string,
  value: unknown,
  knownVersion?: string,
): Promise<string> {
  let version = knownVersion;
  for (let attempt = 0; attempt < 5; attempt++) {
    if (version === undefined) version = (await store.get(CHECKPOINTS, id))?.version;
    try {
      if (version !== undefined) return (await store.update(CHECKPOINTS, id, value, version)).version;
      const created = await store.create(CHECKPOINTS, id, value);
      if (created) return created.version;
    } catch (err) {
      if ((err as { code?: string }).code !== 'KVW_CONFLICT' || attempt === 4) throw err;
    }
    version = undefined;
  }
  throw new Error(`checkpoint ${id}: could not be saved after repeated conflicts`);
}
