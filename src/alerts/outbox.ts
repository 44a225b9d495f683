import type { CardLocation, CardMessage, ChatSurface, SurfaceName } from '../chat/chat-surface.js';
import { isCodedError, UpstreamError } from '../errors.js';
import type { Store, Versioned } from '../store/store.js';
import type { Clock } from '../util/clock.js';
import type { Logger } from '../util/logger.js';
import type { Metrics } from '../util/metrics.js';
import { deliverItem } from './outbox-delivery.js';
import {
  CARDS,
  type CardItem,
  cardKey,
  OUTBOX,
  OUTBOX_DEAD,
  type OutboxItem,
  type PostedCard,
  targetOf,
} from './outbox-item.js';
import type { PagerDutyEvent, PagerDutySender } from './pagerduty.js';
import type { Route } from './routing.js';

export interface OutboxOptions {
  /** First retry delay; doubles per attempt up to `maxDelayMs` (a Retry-After overrides it). */
  readonly baseDelayMs?: number;
  readonly maxDelayMs?: number;
  /** How long a worker owns an item it is delivering. */
  readonly leaseMs?: number;
  /** Deliveries in flight at once (one per lane). */
  readonly concurrency?: number;
  /** Attempts before an item that keeps failing with a non-transient error is dead-lettered. */
  readonly maxAttempts?: number;
  /** Idle poll interval of the background worker (picks up other replicas' items and retries). */
  readonly pollMs?: number;
}

export interface OutboxDeps {
  readonly store: Store;
  readonly clock: Clock;
  readonly surfaces: readonly ChatSurface[];
  readonly pagerDuty?: PagerDutySender;
  readonly metrics?: Metrics;
  readonly logger?: Pick<Logger, 'warn' | 'error' | 'info'>;
  /** Waits for the background worker; resolves early when `wake` fires. Defaults to setTimeout. */
  readonly wait?: (ms: number, wake: Promise<void>) => Promise<void>;
  readonly options?: OutboxOptions;
}

/**
 * Delivers cards, texts and PagerDuty events at least once and, for cards, posts each card once.
 * Callers persist their state first and then enqueue; the outbox survives restarts because it lives
 * in the store. Guarantees and the one duplicate edge are described in docs/readme/alerts.md.
 */
export class Outbox {
  private readonly surfaces = new Map<SurfaceName, ChatSurface>();
  private readonly opt: Required<OutboxOptions>;
  private seqCounter = 0;
  private running?: Promise<void>;
  private stopping = false;
  private wake: () => void = () => {};
  /** Set by an enqueue during a pass, so the worker does not sleep over new work. */
  private kicked = false;

  constructor(private readonly deps: OutboxDeps) {
    for (const s of deps.surfaces) this.surfaces.set(s.name, s);
    this.opt = {
      baseDelayMs: 1_000,
      maxDelayMs: 5 * 60_000,
      leaseMs: 60_000,
      concurrency: 8,
      maxAttempts: 10,
      pollMs: 1_000,
      ...deps.options,
    };
  }

  /** Names of the surfaces this outbox delivers to (routing uses them). */
  surfaceNames(): SurfaceName[] {
    return [...this.surfaces.keys()];
  }

  /**
   * Shows `message` (the subject at `version`) on `route`: posts it the first time, afterwards edits
   * the posted message. Repeats and older versions are no-ops; pending updates coalesce to the newest.
   */
  async publishCard(subjectId: string, route: Route, message: CardMessage, version: number): Promise<void> {
    const key = cardKey(subjectId, route.surface);
    const posted = await this.deps.store.get<PostedCard>(CARDS, key);
    if (posted && posted.value.cardVersion >= version) return;
    const kind = posted ? 'update-card' : 'post-card';
    const id = `${key}|${kind === 'post-card' ? 'post' : 'update'}`;
    const item: CardItem = {
      ...this.base(subjectId, key),
      kind,
      surface: route.surface,
      channel: route.channel,
      message,
      cardVersion: version,
    };
    for (let attempt = 0; attempt < 10; attempt++) {
      if (await this.deps.store.create(OUTBOX, id, item)) return this.enqueued();
      const existing = await this.deps.store.get<CardItem>(OUTBOX, id);
      if (!existing) continue;
      if (existing.value.cardVersion >= version) return;
      try {
        // Keep the item's place in its lane and its backoff; only the card gets newer.
        await this.deps.store.update(
          OUTBOX,
          id,
          { ...existing.value, message, cardVersion: version, channel: route.channel },
          existing.version,
        );
        return this.enqueued();
      } catch (err) {
        if (!isConflict(err)) throw err;
      }
    }
    throw new Error(`outbox: could not enqueue ${id} after repeated conflicts`);
  }

  /** Posts a text once per `key` (e.g. `escalate-3`). */
  async enqueueText(subjectId: string, route: Route, text: string, key: string): Promise<void> {
    const lane = `${subjectId}|${route.surface}|text`;
    const id = `${lane}|${key}`;
    const item: OutboxItem = { ...this.base(subjectId, lane), kind: 'post-text', ...route, text };
    if (await this.deps.store.create(OUTBOX, id, item)) this.enqueued();
  }

  /** Sends a PagerDuty event once per `key`, in enqueue order per subject. */
  async enqueuePagerDuty(subjectId: string, event: PagerDutyEvent, key: string): Promise<void> {
    if (!this.deps.pagerDuty) return;
    const lane = `${subjectId}|pagerduty`;
    const item: OutboxItem = { ...this.base(subjectId, lane), kind: 'pagerduty', event };
    if (await this.deps.store.create(OUTBOX, `${lane}|${key}`, item)) this.enqueued();
  }

  /** Where the subject's card is on `surface`, once posted. */
  async location(subjectId: string, surface: SurfaceName): Promise<CardLocation | undefined> {
    const posted = await this.deps.store.get<PostedCard>(CARDS, cardKey(subjectId, surface));
    if (!posted) return undefined;
    const { surface: s, channel, messageId } = posted.value;
    return { surface: s, channel, messageId };
  }

  async depth(): Promise<number> {
    return (await this.deps.store.list(OUTBOX)).length;
  }

  /** One pass: delivers the due head of every lane. Returns how many deliveries succeeded. */
  async runOnce(): Promise<number> {
    return (await this.pass()).delivered;
  }

  private async pass(): Promise<{ attempted: number; delivered: number }> {
    const now = this.deps.clock.now();
    const items = await this.deps.store.list<OutboxItem>(OUTBOX);
    this.deps.metrics?.outboxDepth.set(items.length);
    const heads = new Map<string, (typeof items)[number]>();
    for (const it of items) {
      const head = heads.get(it.value.lane);
      if (!head || compareItems(it, head) < 0) heads.set(it.value.lane, it);
    }
    const due = [...heads.values()]
      .filter((it) => it.value.nextAttemptMs <= now && (it.value.leaseUntilMs ?? 0) <= now)
      .sort(compareItems);
    let delivered = 0;
    for (let i = 0; i < due.length; i += this.opt.concurrency) {
      const batch = due.slice(i, i + this.opt.concurrency);
      const results = await Promise.all(batch.map((it) => this.process(it.id, it)));
      delivered += results.filter(Boolean).length;
    }
    return { attempted: due.length, delivered };
  }

  /**
   * Delivers until nothing is due now (tests, shutdown). Items waiting for a retry stay in the store
   * for the next start. Returns the number of items left.
   */
  async drain(maxRounds = 1_000): Promise<number> {
    for (let i = 0; i < maxRounds; i++) {
      if ((await this.pass()).attempted === 0) break;
    }
    const left = await this.depth();
    this.deps.metrics?.outboxDepth.set(left);
    return left;
  }

  /** Starts the background worker (idempotent). */
  start(): void {
    if (this.running) return;
    this.stopping = false;
    this.running = this.loop();
  }

  /** Stops the worker after its current pass. */
  async stop(): Promise<void> {
    this.stopping = true;
    this.wake();
    await this.running;
    this.running = undefined;
  }

  private async loop(): Promise<void> {
    while (!this.stopping) {
      this.kicked = false;
      let delivered = 0;
      try {
        delivered = await this.runOnce();
      } catch (err) {
        this.deps.logger?.error({ err }, 'outbox pass failed');
      }
      if (delivered > 0 || this.stopping || this.kicked) continue;
      const woken = new Promise<void>((resolve) => {
        this.wake = resolve;
      });
      await (this.deps.wait ?? defaultWait)(this.opt.pollMs, woken);
    }
  }

  private enqueued(): void {
    this.kicked = true;
    this.wake();
  }

  private base(subjectId: string, lane: string) {
    const now = this.deps.clock.now();
    this.seqCounter = (this.seqCounter + 1) % 1_000_000;
    return {
      subjectId,
      lane,
      seq: `${String(now).padStart(15, '0')}-${String(this.seqCounter).padStart(6, '0')}`,
      enqueuedMs: now,
      attempts: 0,
      nextAttemptMs: now,
    };
  }

  /** Claims, delivers and completes one item. True when delivered. */
  private async process(id: string, seen: Versioned<OutboxItem>): Promise<boolean> {
    const now = this.deps.clock.now();
    let claimed: Versioned<OutboxItem>;
    try {
      claimed = await this.deps.store.update(
        OUTBOX,
        id,
        { ...seen.value, leaseUntilMs: now + this.opt.leaseMs },
        seen.version,
      );
    } catch (err) {
      if (isConflict(err)) return false; // another worker took it, or it was replaced; next pass
      throw err;
    }
    const item = claimed.value;
    try {
      await this.deliver(item);
    } catch (err) {
      await this.failed(id, item, err);
      return false;
    }
    await this.complete(id, claimed);
    return true;
  }

  private deliver(item: OutboxItem): Promise<void> {
    return deliverItem(
      {
        store: this.deps.store,
        clock: this.deps.clock,
        surfaces: this.surfaces,
        pagerDuty: this.deps.pagerDuty,
        metrics: this.deps.metrics,
      },
      item,
    );
  }

  private async complete(id: string, claimed: Versioned<OutboxItem>): Promise<void> {
    try {
      await this.deps.store.delete(OUTBOX, id, claimed.version);
    } catch (err) {
      if (!isConflict(err)) throw err;
      // A newer card replaced the item while it was in flight: release it so the next pass sends that one.
      await this.release(id);
    }
  }

  private async failed(id: string, item: OutboxItem, err: unknown): Promise<void> {
    const target = targetOf(item);
    this.deps.metrics?.postFailures.inc({ surface: target });
    const transient = err instanceof UpstreamError ? err.transient : false;
    const attempts = item.attempts + 1;
    const message = err instanceof Error ? err.message : String(err);
    if (!transient && attempts >= this.opt.maxAttempts) {
      this.deps.logger?.error({ id, target, attempts, err: message }, 'outbox item dead-lettered');
      await this.deps.store.create(OUTBOX_DEAD, `${id}|${item.seq}`, {
        ...item,
        attempts,
        lastError: message,
      });
      await this.deps.store.delete(OUTBOX, id);
      return;
    }
    const backoff = Math.min(this.opt.maxDelayMs, this.opt.baseDelayMs * 2 ** Math.min(item.attempts, 20));
    const retryAfter = err instanceof UpstreamError ? err.retryAfterMs : undefined;
    const delay = retryAfter ?? backoff;
    this.deps.logger?.warn(
      { id, target, attempts, delayMs: delay, err: message },
      'outbox delivery failed; will retry',
    );
    const now = this.deps.clock.now();
    await this.patch(id, (v) => ({
      ...v,
      attempts,
      nextAttemptMs: now + delay,
      leaseUntilMs: 0,
      lastError: message,
    }));
  }

  private async release(id: string): Promise<void> {
    await this.patch(id, (v) => ({ ...v, leaseUntilMs: 0 }));
  }

  private async patch(id: string, mutate: (v: OutboxItem) => OutboxItem): Promise<void> {
    for (let i = 0; i < 5; i++) {
      const current = await this.deps.store.get<OutboxItem>(OUTBOX, id);
      if (!current) return;
      try {
        await this.deps.store.update(OUTBOX, id, mutate(current.value), current.version);
        return;
      } catch (err) {
        if (!isConflict(err)) throw err;
      }
    }
  }
}

function compareItems(a: { id: string; value: OutboxItem }, b: { id: string; value: OutboxItem }): number {
  if (a.value.seq !== b.value.seq) return a.value.seq < b.value.seq ? -1 : 1;
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

function isConflict(err: unknown): boolean {
  return isCodedError(err) && err.code === 'KVW_CONFLICT';
}

function defaultWait(ms: number, wake: Promise<void>): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    void wake.then(() => {
      clearTimeout(timer);
      resolve();
    });
  });
}
