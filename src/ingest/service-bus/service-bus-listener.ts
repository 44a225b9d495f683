import type {
  ServiceBusClient,
  ServiceBusReceivedMessage,
  ServiceBusReceiver,
  ServiceBusSessionReceiver,
} from '@azure/service-bus';
import type { Logger } from '../../util/logger.js';
import type { Metrics } from '../../util/metrics.js';
import type { IntakePipeline } from '../pipeline.js';
import { acceptNextSessionFor, createReceiverFor, type EntityRef } from './entity.js';
import { type BodyParser, processMessages } from './message-processor.js';
import { abandonDelay, settle } from './settle.js';

export interface ServiceBusListenerOptions {
  readonly client: ServiceBusClient;
  readonly entities: readonly EntityRef[];
  readonly pipeline: IntakePipeline;
  readonly logger: Logger;
  readonly metrics?: Metrics;
  /** Messages handled at once per plain entity; sessions held at once per session entity. */
  readonly concurrency: number;
  /** Auto lock renewal ceiling for long batches (`sources.serviceBus.maxLockRenewal`). */
  readonly maxLockRenewalMs: number;
  /** A session with no message for this long is released so other vaults get a turn. Default 2 s. */
  readonly sessionIdleMs?: number;
  /** Longest wait for a session batch to fill (bounds added latency). Default 50 ms. */
  readonly sessionPollMs?: number;
  /** Messages per session batch (one pipeline call, in order). Default 32. */
  readonly sessionBatch?: number;
  /** Wait after "no unlocked session" before asking again. Default 1 s. */
  readonly sessionRetryMs?: number;
  /** First back-off before abandoning after a transient failure (doubles per delivery). Default 1 s, max 30 s. */
  readonly abandonBaseMs?: number;
  readonly abandonMaxMs?: number;
  readonly parseBody?: BodyParser;
}

/**
 * Consumes the configured queues / topic subscriptions in peek-lock mode and feeds the intake pipeline.
 * A message is completed only after `pipeline.ingest` resolved (at-least-once; event keys make
 * redelivery harmless). Session entities (SessionId = vault) are consumed one session per worker, in
 * order; several workers hold several vaults at once.
 */
export class ServiceBusListener {
  private stopping = false;
  private readonly inflight = new Set<Promise<unknown>>();
  private readonly closers: Array<() => Promise<void>> = [];
  private readonly workers: Promise<void>[] = [];
  private readonly wakeups = new Set<() => void>();

  constructor(private readonly o: ServiceBusListenerOptions) {}

  start(): void {
    for (const e of this.o.entities) {
      if (e.sessions) {
        for (let i = 0; i < this.o.concurrency; i++) this.workers.push(this.sessionWorker(e));
      } else {
        this.subscribePlain(e);
      }
    }
    this.o.logger.info({ entities: this.o.entities.map((e) => e.label) }, 'service bus listener started');
  }

  /** Graceful stop: no new messages are taken, in-flight ones finish and settle, then receivers close. */
  async stop(): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    for (const wake of this.wakeups) wake();
    await Promise.allSettled([...this.inflight]);
    await Promise.allSettled(this.workers);
    await Promise.allSettled(this.closers.map((c) => c()));
    this.o.logger.info('service bus listener stopped');
  }

  private track<T>(p: Promise<T>): Promise<T> {
    this.inflight.add(p);
    void p.finally(() => this.inflight.delete(p)).catch(() => {});
    return p;
  }

  private subscribePlain(e: EntityRef): void {
    const receiver = createReceiverFor(this.o.client, e, {
      receiveMode: 'peekLock',
      maxAutoLockRenewalDurationInMs: this.o.maxLockRenewalMs,
    });
    const source = `servicebus:${e.label}`;
    const sub = receiver.subscribe(
      {
        processMessage: async (m) => {
          // Arrived while stopping: hand it straight back so another replica (or the next start) takes it.
          if (this.stopping) {
            await receiver.abandonMessage(m).catch(() => {});
            return;
          }
          await this.track(this.handle(receiver, [m], { source }));
        },
        processError: async (args) => {
          if (!this.stopping)
            this.o.logger.warn({ source, err: args.error.message }, 'service bus receive error');
        },
      },
      { autoCompleteMessages: false, maxConcurrentCalls: this.o.concurrency },
    );
    this.closers.push(async () => {
      await sub.close();
      await receiver.close();
    });
  }

  /** One worker: take the next free session (vault), drain it in order, release it when idle, repeat. */
  private async sessionWorker(e: EntityRef): Promise<void> {
    while (!this.stopping) {
      let receiver: ServiceBusSessionReceiver;
      try {
        receiver = await acceptNextSessionFor(this.o.client, e, {
          receiveMode: 'peekLock',
          maxAutoLockRenewalDurationInMs: this.o.maxLockRenewalMs,
        });
      } catch (err) {
        const code = (err as { code?: string }).code;
        if (code !== 'SessionCannotBeLocked' && code !== 'ServiceTimeout' && !this.stopping) {
          this.o.logger.warn(
            { source: `servicebus:${e.label}`, err: (err as Error).message },
            'accept session failed',
          );
        }
        await this.pause(this.o.sessionRetryMs ?? 1_000);
        continue;
      }
      try {
        await this.drainSession(e, receiver);
      } finally {
        await receiver.close().catch(() => {});
      }
    }
  }

  /**
   * Drains one session in order: batches of up to `sessionBatch` messages (one pipeline call each), polled
   * every `sessionPollMs`; the session is released after `sessionIdleMs` without messages.
   */
  private async drainSession(e: EntityRef, receiver: ServiceBusSessionReceiver): Promise<void> {
    const source = `servicebus:${e.label}`;
    const vault = receiver.sessionId.toLowerCase();
    const idleMs = this.o.sessionIdleMs ?? 2_000;
    const pollMs = Math.min(this.o.sessionPollMs ?? 50, idleMs);
    // Completions still on the wire: the next batch need not wait for them (its events are durable and
    // ordered already), but the session is only released once they are settled.
    const completing = new Set<Promise<unknown>>();
    let idleFor = 0;
    try {
      while (!this.stopping && idleFor < idleMs) {
        let batch: ServiceBusReceivedMessage[];
        try {
          batch = await receiver.receiveMessages(this.o.sessionBatch ?? 32, { maxWaitTimeInMs: pollMs });
        } catch (err) {
          if ((err as { code?: string }).code !== 'SessionLockLost' && !this.stopping) {
            this.o.logger.warn({ source, vault, err: (err as Error).message }, 'service bus session error');
          }
          return;
        }
        if (batch.length === 0) {
          idleFor += pollMs;
          continue;
        }
        idleFor = 0;
        if (this.stopping) {
          for (const m of batch) await receiver.abandonMessage(m).catch(() => {});
          return;
        }
        const { completing: done } = await this.track(this.handle(receiver, batch, { source, vault }, false));
        if (done) {
          completing.add(done);
          void done.finally(() => completing.delete(done));
        }
      }
    } finally {
      await Promise.allSettled([...completing]);
    }
  }

  /**
   * Ingests and settles. With `awaitComplete` false, completions are left running and returned (the
   * caller tracks them); abandons and dead-letters are always awaited, so an abandoned message is
   * redelivered before any later message of its session is handled.
   */
  private async handle(
    receiver: ServiceBusReceiver,
    messages: ServiceBusReceivedMessage[],
    origin: { source: string; vault?: string },
    awaitComplete = true,
  ): Promise<{ completing?: Promise<unknown> }> {
    const settlements = await processMessages(messages, origin, this.o);
    const completions: Promise<unknown>[] = [];
    let waited = false;
    for (const [m, s] of settlements) {
      // One back-off per batch before its first abandon; the rest follow at once, in order.
      const delayMs =
        s.action === 'abandon' && !waited
          ? abandonDelay(m.deliveryCount, this.o.abandonBaseMs ?? 1_000, this.o.abandonMaxMs ?? 30_000)
          : 0;
      if (s.action === 'abandon') waited = true;
      const p = settle(receiver, m, s, { logger: this.o.logger, delayMs, source: origin.source });
      if (s.action === 'complete' && !awaitComplete) completions.push(this.track(p));
      else await p;
    }
    // Wrapped: an async function returning a bare promise would wait for it.
    return completions.length > 0 ? { completing: Promise.all(completions) } : {};
  }

  private pause(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.wakeups.delete(done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.wakeups.add(done);
    });
  }
}
