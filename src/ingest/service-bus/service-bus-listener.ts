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
          if (this.stopping) return receiver.abandonMessage(m).catch(() => {});
          return this.track(this.handle(receiver, [m], { source }));
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

  private drainSession(e: EntityRef, receiver: ServiceBusSessionReceiver): Promise<void> {
    const source = `servicebus:${e.label}`;
    const vault = receiver.sessionId.toLowerCase();
    const idleMs = this.o.sessionIdleMs ?? 2_000;
    return new Promise<void>((resolve) => {
      let idle: NodeJS.Timeout | undefined;
      let busy = false;
      let finished = false;
      const finish = () => {
        if (finished || busy) return;
        finished = true;
        if (idle) clearTimeout(idle);
        this.wakeups.delete(finish);
        void sub.close().finally(resolve);
      };
      const arm = () => {
        if (idle) clearTimeout(idle);
        idle = setTimeout(finish, idleMs);
      };
      this.wakeups.add(finish);
      const sub = receiver.subscribe(
        {
          processMessage: async (m) => {
            if (finished || this.stopping) {
              await receiver.abandonMessage(m).catch(() => {});
              return;
            }
            busy = true;
            if (idle) clearTimeout(idle);
            try {
              await this.track(this.handle(receiver, [m], { source, vault }));
            } finally {
              busy = false;
              if (this.stopping) finish();
              else arm();
            }
          },
          processError: async (args) => {
            const code = (args.error as { code?: string }).code;
            if (code === 'SessionLockLost') {
              busy = false;
              finish();
            } else if (!this.stopping) {
              this.o.logger.warn({ source, vault, err: args.error.message }, 'service bus session error');
            }
          },
        },
        { autoCompleteMessages: false, maxConcurrentCalls: 1 },
      );
      arm();
    });
  }

  private async handle(
    receiver: ServiceBusReceiver,
    messages: ServiceBusReceivedMessage[],
    origin: { source: string; vault?: string },
  ): Promise<void> {
    const settlements = await processMessages(messages, origin, this.o);
    for (const [m, s] of settlements) {
      const delayMs =
        s.action === 'abandon'
          ? abandonDelay(m.deliveryCount, this.o.abandonBaseMs ?? 1_000, this.o.abandonMaxMs ?? 30_000)
          : 0;
      await settle(receiver, m, s, { logger: this.o.logger, delayMs, source: origin.source });
    }
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
