import type { MalformedRecord } from '../../audit/audit-event.js';
import type { Store } from '../../store/store.js';
import type { Clock } from '../../util/clock.js';
import type { Logger } from '../../util/logger.js';
import type { Metrics } from '../../util/metrics.js';
import { BlobCheckpoints } from './blob-checkpoints.js';
import type { BlobContainer, BlobInfo } from './blob-container.js';
import {
  floorHour,
  HOUR_MS,
  hourPrefix,
  hoursBetween,
  parseBlobPath,
  resourceIdCasings,
} from './blob-paths.js';
import { tailBlob } from './blob-tailer.js';
import type { ForwarderSink } from './forwarder-sink.js';

export interface BlobForwarderOptions {
  readonly container: BlobContainer;
  /** Container name (checkpoint ids); default `insights-logs-auditevent`. */
  readonly containerName: string;
  /** Vault resource ids to follow; every vault in the container when empty. */
  readonly vaults: readonly string[];
  readonly sink: ForwarderSink;
  readonly store: Store;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly metrics?: Metrics;
  /** How far back the first poll looks (default 2 h: the current and the previous hour's blobs). */
  readonly backfillMs?: number;
  /** An hour's blob is no longer appended this long after the hour ended (default 1 h). */
  readonly settleMs?: number;
  readonly chunkBytes?: number;
  readonly onMalformed?: (m: MalformedRecord) => void;
}

export interface PollResult {
  readonly blobs: number;
  readonly bytes: number;
  readonly records: number;
}

type VaultBlob = BlobInfo & { vault: string; hourMs: number; resourceId: string };

/**
 * The blob forwarder: follows `PT1H.json` blobs hour by hour (across day, month and year boundaries),
 * re-reading the previous hour's blob while it may still be appended, and forwards new complete lines
 * to its sink. Progress is a byte offset per blob (never a timestamp, which loses records sharing a
 * time or arriving late) plus a cursor of settled hours.
 */
export class BlobForwarder {
  private readonly checkpoints: BlobCheckpoints;
  private readonly wanted: Set<string>;

  constructor(private readonly o: BlobForwarderOptions) {
    this.checkpoints = new BlobCheckpoints(o.store, o.containerName);
    this.wanted = new Set(o.vaults.map((v) => normalizeId(v)));
  }

  /** One pass over every hour from the cursor to now. */
  async pollOnce(): Promise<PollResult> {
    const now = this.o.clock.now();
    const settleMs = this.o.settleMs ?? HOUR_MS;
    const cursor = await this.checkpoints.cursor();
    const from = cursor?.value.fromHourMs ?? floorHour(now - (this.o.backfillMs ?? 2 * HOUR_MS));
    const hours = hoursBetween(from, now);
    const blobs = await this.discover(hours);
    blobs.sort((a, b) => a.hourMs - b.hourMs || a.name.localeCompare(b.name));
    let bytes = 0;
    let records = 0;
    const pending = new Set<number>();
    const lag = new Map<string, number>();
    const failures: unknown[] = [];
    for (const blob of blobs) {
      const settled = blob.hourMs + HOUR_MS + settleMs <= now;
      let r: Awaited<ReturnType<typeof tailBlob>>;
      try {
        r = await tailBlob(blob, settled, {
          container: this.o.container,
          checkpoints: this.checkpoints,
          sink: this.o.sink,
          logger: this.o.logger,
          chunkBytes: this.o.chunkBytes,
          onMalformed: (m) => this.malformed(m),
        });
      } catch (err) {
        // One blob failing (send or checkpoint) must not hold the others back; its hour stays open.
        this.o.logger.warn(
          { blob: blob.name, err: (err as Error).message },
          'forwarding a blob failed; retried next poll',
        );
        failures.push(err);
        pending.add(blob.hourMs);
        continue;
      }
      bytes += r.bytes;
      records += r.records;
      if (!r.caughtUp || !settled) pending.add(blob.hourMs);
      const cp = (await this.checkpoints.get(blob.name))?.value;
      const behind = r.caughtUp ? 0 : Math.max(0, blob.lastModifiedMs - (cp?.caughtUpMs ?? blob.hourMs));
      lag.set(blob.vault, Math.max(lag.get(blob.vault) ?? 0, behind));
    }
    for (const [vault, ms] of lag) this.o.metrics?.forwarderLag.set({ vault }, ms / 1000);
    const firstOpen = hours.find((h) => pending.has(h) || h + HOUR_MS + settleMs > now) ?? floorHour(now);
    if (firstOpen !== from) await this.checkpoints.putCursor({ fromHourMs: firstOpen }, cursor?.version);
    if (records > 0) this.o.logger.info({ blobs: blobs.length, bytes, records }, 'blob forwarder poll');
    if (failures.length > 0) throw failures[0];
    return { blobs: blobs.length, bytes, records };
  }

  /** Polls every `intervalMs` until `stop` resolves; errors are logged and retried next time. */
  async run(intervalMs: number, stop: Promise<void>): Promise<void> {
    let stopped = false;
    void stop.then(() => {
      stopped = true;
    });
    while (!stopped) {
      try {
        await this.pollOnce();
      } catch (err) {
        this.o.logger.warn(
          { err: (err as Error).message },
          'blob forwarder poll failed; retrying next interval',
        );
      }
      await Promise.race([stop, new Promise((r) => setTimeout(r, intervalMs).unref())]);
    }
  }

  private malformed(m: MalformedRecord): void {
    this.o.logger.warn(
      { source: m.source, line: m.line, reason: m.reason },
      'malformed audit record skipped',
    );
    this.o.metrics?.malformedRecords.inc({ source: 'blob' });
    this.o.onMalformed?.(m);
  }

  private async discover(hours: number[]): Promise<VaultBlob[]> {
    const found = new Map<string, VaultBlob>();
    const add = (b: BlobInfo, hourSet: Set<number>) => {
      const p = parseBlobPath(b.name);
      if (!p || !hourSet.has(p.hourMs)) return;
      if (this.wanted.size > 0 && !this.wanted.has(normalizeId(p.resourceId))) return;
      found.set(b.name, { ...b, vault: p.vault, hourMs: p.hourMs, resourceId: p.resourceId });
    };
    const hourSet = new Set(hours);
    if (this.wanted.size === 0) {
      for await (const b of this.o.container.list('resourceId=')) add(b, hourSet);
    } else {
      for (const id of this.o.vaults) {
        for (const casing of resourceIdCasings(id)) {
          for (const h of hours) {
            for await (const b of this.o.container.list(hourPrefix(casing, h))) add(b, hourSet);
          }
        }
      }
    }
    return [...found.values()];
  }
}

function normalizeId(id: string): string {
  return (id.startsWith('/') ? id : `/${id}`).replace(/\/+$/, '').toLowerCase();
}
