import { randomBytes, randomUUID } from 'node:crypto';
import type { Message, Sender } from 'rhea';

/** Per-entity behaviour of the fake Service Bus (the knobs a real namespace exposes per queue). */
export interface EntityOptions {
  /** Session-enabled: every message needs a SessionId; one receiver holds a session at a time. */
  readonly sessions?: boolean;
  /** Peek-lock duration (Azure default 60 s; tests use a few hundred ms to see redelivery). */
  readonly lockDurationMs?: number;
  /** After this many failed deliveries a message moves to the dead-letter sub-queue (Azure default 10). */
  readonly maxDeliveryCount?: number;
  /** Duplicate detection by MessageId within this window; off when undefined. */
  readonly duplicateDetectionWindowMs?: number;
}

/** One message as the broker keeps it. */
export interface StoredMessage {
  readonly seq: number;
  readonly messageId: string;
  readonly sessionId?: string;
  readonly enqueuedAt: number;
  /** Scheduled messages become visible at this time. */
  availableAt: number;
  /** Failed delivery attempts so far (sent as the AMQP header delivery_count). */
  deliveryCount: number;
  /** The message as the sender sent it (no broker annotations). */
  readonly message: Message;
  state: 'active' | 'locked' | 'deferred';
  lock?: { token: string; until: number; link: Sender };
}

/** A consumer link of an entity: the broker's sending side of a client receiver. */
export interface ConsumerLink {
  readonly sender: Sender;
  readonly sessionId?: string;
  readonly receiveAndDelete: boolean;
}

/** Queue, topic subscription or dead-letter sub-queue: ordered messages, locks, sessions, duplicates. */
export class BrokerEntity {
  readonly messages = new Map<number, StoredMessage>();
  readonly consumers = new Set<ConsumerLink>();
  readonly sessionLocks = new Map<string, { link: Sender; until: number }>();
  readonly sessionStates = new Map<string, Buffer>();
  private readonly recentIds = new Map<string, number>();
  readonly lockDurationMs: number;
  readonly maxDeliveryCount: number;

  constructor(
    readonly name: string,
    readonly options: EntityOptions,
    private readonly nextSeq: () => number,
    readonly deadLetter?: BrokerEntity,
  ) {
    this.lockDurationMs = options.lockDurationMs ?? 60_000;
    this.maxDeliveryCount = options.maxDeliveryCount ?? 10;
  }

  get sessions(): boolean {
    return this.options.sessions === true;
  }

  /** Stores a message; returns false when it is a duplicate inside the detection window (dropped, like Azure). */
  enqueue(message: Message, now: number, availableAt = now): StoredMessage | undefined {
    const messageId = message.message_id === undefined ? randomUUID() : String(message.message_id);
    const window = this.options.duplicateDetectionWindowMs;
    if (window !== undefined) {
      for (const [id, at] of this.recentIds) if (now - at > window) this.recentIds.delete(id);
      if (this.recentIds.has(messageId)) return undefined;
      this.recentIds.set(messageId, now);
    }
    const stored: StoredMessage = {
      seq: this.nextSeq(),
      messageId,
      sessionId: message.group_id === undefined ? undefined : String(message.group_id),
      enqueuedAt: now,
      availableAt,
      deliveryCount: 0,
      message: { ...message, message_id: messageId } as Message,
      state: 'active',
    };
    this.messages.set(stored.seq, stored);
    return stored;
  }

  /** The next message a consumer may receive: oldest visible active one (of its session). */
  nextFor(link: ConsumerLink, now: number): StoredMessage | undefined {
    for (const m of this.messages.values()) {
      if (m.state !== 'active' || m.availableAt > now) continue;
      if (this.sessions && m.sessionId !== link.sessionId) continue;
      return m;
    }
    return undefined;
  }

  /** Locks a message for a consumer and returns its 16-byte lock token (the delivery tag). */
  lock(m: StoredMessage, link: Sender, now: number): Buffer {
    const tag = randomBytes(16);
    m.state = 'locked';
    m.lock = { token: tag.toString('hex'), until: now + this.lockDurationMs, link };
    return tag;
  }

  /** Finds a locked message by its token; accepts both byte orders (.NET GUID order on $management). */
  byToken(token: Buffer): StoredMessage | undefined {
    const candidates = [token.toString('hex'), swapGuid(token).toString('hex')];
    for (const m of this.messages.values()) {
      if (m.lock && candidates.includes(m.lock.token)) return m;
    }
    return undefined;
  }

  complete(m: StoredMessage): void {
    this.messages.delete(m.seq);
  }

  /** Abandon or lock expiry: back to the queue with delivery count + 1, dead-lettered past the maximum. */
  release(m: StoredMessage, now: number, countAttempt = true): void {
    m.lock = undefined;
    m.state = 'active';
    if (countAttempt) m.deliveryCount += 1;
    if (countAttempt && m.deliveryCount >= this.maxDeliveryCount) {
      this.moveToDeadLetter(
        m,
        'MaxDeliveryCountExceeded',
        `Message could not be consumed after ${this.maxDeliveryCount} delivery attempts.`,
        now,
      );
    }
  }

  defer(m: StoredMessage): void {
    m.lock = undefined;
    m.state = 'deferred';
  }

  moveToDeadLetter(
    m: StoredMessage,
    reason: string | undefined,
    description: string | undefined,
    now: number,
  ): void {
    this.messages.delete(m.seq);
    if (!this.deadLetter) return;
    const props: Record<string, unknown> = { ...(m.message.application_properties ?? {}) };
    if (reason !== undefined) props.DeadLetterReason = reason;
    if (description !== undefined) props.DeadLetterErrorDescription = description;
    const copy = { ...m.message, application_properties: props } as Message;
    const dl = this.deadLetter.enqueue(copy, now);
    if (dl) dl.deliveryCount = m.deliveryCount;
  }

  /** Returns expired locks to the queue (the redelivery a crashed consumer relies on). */
  expireLocks(now: number): boolean {
    let changed = false;
    for (const m of [...this.messages.values()]) {
      if (m.state === 'locked' && m.lock && m.lock.until <= now) {
        this.release(m, now);
        changed = true;
      }
    }
    for (const [sid, lock] of this.sessionLocks) {
      if (lock.until <= now) {
        this.releaseSession(sid, now);
        changed = true;
      }
    }
    return changed;
  }

  /** Takes a session lock for a link: the requested session, or any unlocked session with messages. */
  acquireSession(link: Sender, requested: string | undefined, now: number): string | undefined {
    let sid = requested;
    if (sid === undefined) {
      for (const m of this.messages.values()) {
        if (m.state !== 'active' || m.availableAt > now || m.sessionId === undefined) continue;
        if (!this.sessionLocks.has(m.sessionId)) {
          sid = m.sessionId;
          break;
        }
      }
    }
    if (sid === undefined || this.sessionLocks.has(sid)) return undefined;
    this.sessionLocks.set(sid, { link, until: now + this.lockDurationMs });
    return sid;
  }

  /** Ends a session lock: its locked messages go back to the queue (counted as a delivery attempt). */
  releaseSession(sessionId: string, now: number): void {
    this.sessionLocks.delete(sessionId);
    for (const m of [...this.messages.values()]) {
      if (m.sessionId === sessionId && m.state === 'locked') this.release(m, now);
    }
  }

  /** A consumer link went away: for sessions the lock ends now; plain message locks run until they expire. */
  detach(link: Sender, now: number): void {
    for (const c of [...this.consumers]) if (c.sender === link) this.consumers.delete(c);
    for (const [sid, lock] of this.sessionLocks) if (lock.link === link) this.releaseSession(sid, now);
  }

  /** Active (not locked, not deferred) message count. */
  activeCount(): number {
    let n = 0;
    for (const m of this.messages.values()) if (m.state === 'active') n++;
    return n;
  }
}

/** .NET GUID byte order swap of the first three groups (involution). */
export function swapGuid(b: Buffer): Buffer {
  if (b.length !== 16) return b;
  return Buffer.from([b[3]!, b[2]!, b[1]!, b[0]!, b[5]!, b[4]!, b[7]!, b[6]!, ...b.subarray(8)]);
}
