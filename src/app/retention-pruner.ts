import type { Config } from '../config/load.js';
import type { Clock } from '../util/clock.js';
import type { Logger } from '../util/logger.js';

const HOUR_MS = 3_600_000;
/** How often a pruning pass may run. */
export const PRUNE_EVERY_MS = HOUR_MS;

/**
 * `sources.eventKeyRetention`, else max(2 × detection.lateness, 48 h): longer than records can arrive late
 * and still count (the lateness), and than a redelivery plausibly comes (a Service Bus lock expiry is
 * minutes, Event Grid retries for 24 h, the forwarder re-reads the previous hour's blob).
 */
export function eventKeyRetention(config: Pick<Config, 'sources' | 'detection'>): number {
  return config.sources.eventKeyRetention ?? Math.max(2 * config.detection.lateness, 48 * HOUR_MS);
}

/** Something forgotten after the retention: removes entries with event time before `beforeMs`. */
export interface PruneTask {
  readonly name: string;
  prune(beforeMs: number): Promise<number>;
}

export interface RetentionPrunerOptions {
  readonly tasks: readonly PruneTask[];
  /** Entries whose event time is older than now − retention are removed. */
  readonly retentionMs: number;
  readonly clock: Clock;
  readonly logger: Pick<Logger, 'info' | 'warn'>;
  /** Default PRUNE_EVERY_MS. */
  readonly everyMs?: number;
}

/**
 * Prunes the seen-event-key set (and what lives as long as it) after checkpoints, at most every `everyMs`:
 * the intake pipeline calls `due()` after each checkpoint it saved, with the newest event time it marked.
 * The retention counts back from that newest event time (capped at the clock), not from the clock alone:
 * a replay or backfill of old logs (the demo data, a month of blobs) keeps its keys as long as live data
 * would, instead of losing them to the first pass. A pass runs in the background (on the Azure Table store it
 * scans the table) and never overlaps another; a failed pass is logged and retried at the next due time. The
 * first checkpoint after a start prunes, so short-lived processes prune too.
 */
export class RetentionPruner {
  private nextMs = Number.NEGATIVE_INFINITY;
  private newestMs = Number.NEGATIVE_INFINITY;
  private running: Promise<void> | undefined;

  constructor(private readonly options: RetentionPrunerOptions) {}

  /** After a checkpoint: starts a pass in the background when one is due. `markedUpToMs`: newest event time marked. */
  due(markedUpToMs?: number): void {
    if (markedUpToMs !== undefined && markedUpToMs > this.newestMs) this.newestMs = markedUpToMs;
    const now = this.options.clock.now();
    // Nothing marked yet by this process: no reference point, and nothing new to forget.
    if (this.running || now < this.nextMs || this.newestMs === Number.NEGATIVE_INFINITY) return;
    this.nextMs = now + (this.options.everyMs ?? PRUNE_EVERY_MS);
    const before = Math.min(now, this.newestMs) - this.options.retentionMs;
    this.running = this.pass(before).finally(() => {
      this.running = undefined;
    });
  }

  /** Resolves when the pass in progress, if any, has finished (shutdown, tests). */
  async idle(): Promise<void> {
    await this.running;
  }

  private async pass(beforeMs: number): Promise<void> {
    const { logger } = this.options;
    for (const task of this.options.tasks) {
      try {
        const removed = await task.prune(beforeMs);
        if (removed > 0)
          logger.info({ task: task.name, removed, before: new Date(beforeMs).toISOString() }, 'pruned');
      } catch (err) {
        logger.warn({ err, task: task.name }, 'pruning failed; retried at the next pass');
      }
    }
  }
}
