import type { AddressInfo, Server } from 'node:net';
import rhea, {
  type Connection,
  type Container,
  type Delivery,
  type EventContext,
  type Message,
  type Receiver,
  type Sender,
} from 'rhea';
import {
  BrokerEntity,
  type ConsumerLink,
  type EntityOptions,
  type StoredMessage,
} from './amqp-broker-entity.js';
import { handleManagement } from './amqp-broker-management.js';
import {
  acceptedOutcome,
  applyDisposition,
  BATCH_FORMAT,
  batchParts,
  checkPutToken,
  type DispositionKind,
  lockLostOutcome,
  outgoingMessage,
  type RemoteState,
} from './amqp-broker-wire.js';

export type { EntityOptions, StoredMessage } from './amqp-broker-entity.js';

/**
 * An in-process Service Bus namespace speaking AMQP 1.0 (rhea) that the real `@azure/service-bus`
 * client talks to over 127.0.0.1. It enforces what the service enforces and the SDK relies on:
 * CBS put-token (SAS signatures checked), peek-lock with 16-byte lock tokens and lock expiry,
 * dispositions (complete / abandon / defer / dead-letter, lock lost), drain, batches
 * (format 0x80013700), `$management` (renew-lock, peek, schedule, sessions state, update-disposition),
 * sessions (one receiver per session, in order), `<entity>/$DeadLetterQueue`, duplicate detection.
 */
export interface FakeServiceBusOptions {
  readonly queues?: ReadonlyArray<{ name: string } & EntityOptions>;
  readonly topics?: ReadonlyArray<{
    name: string;
    duplicateDetectionWindowMs?: number;
    subscriptions: ReadonlyArray<{ name: string } & EntityOptions>;
  }>;
  /** Advertised on receiving links; the SDK sizes batches from it (Standard tier: 256 KB). */
  readonly maxMessageSize?: number;
  readonly keyName?: string;
  readonly key?: string;
  /** Accepted bearer tokens for the credential path (`jwt` put-token); any non-empty token when absent. */
  readonly acceptToken?: (token: string) => boolean;
  readonly now?: () => number;
  /** Listen with TLS (amqps), as the SDK requires for the credential path. PEM strings. */
  readonly tls?: { readonly key: string; readonly cert: string };
}

const SESSION_FILTER = 'com.microsoft:session-filter';
const TICKS_AT_EPOCH = 621355968000000000n;

/** rhea internals the broker needs (attach fields of our side of a link). */
interface LocalAttach {
  local: {
    attach: { properties?: Record<string, unknown>; max_message_size?: number; snd_settle_mode?: number };
  };
}

export class FakeServiceBus {
  private readonly container: Container;
  private server?: Server;
  private timer?: NodeJS.Timeout;
  private seq = 0;
  private readonly entities = new Map<string, BrokerEntity>();
  private readonly topics = new Map<string, { subscriptions: BrokerEntity[]; dedupe: BrokerEntity }>();
  private readonly connections = new Set<Connection>();
  private readonly inflight = new WeakMap<
    Delivery,
    { entity: BrokerEntity; message: StoredMessage; token: string }
  >();
  private readonly now: () => number;
  /** Every put-token the broker accepted: `{ type, audience }` (never the token itself). */
  readonly authorizations: Array<{ type: string; audience: string }> = [];
  port = 0;

  private constructor(private readonly options: FakeServiceBusOptions) {
    this.now = options.now ?? Date.now;
    const next = () => ++this.seq;
    for (const q of options.queues ?? []) this.addEntity(q.name, q, next);
    for (const t of options.topics ?? []) {
      const subs = t.subscriptions.map((s) => this.addEntity(`${t.name}/Subscriptions/${s.name}`, s, next));
      const dedupe = new BrokerEntity(
        t.name,
        { duplicateDetectionWindowMs: t.duplicateDetectionWindowMs },
        next,
      );
      this.topics.set(t.name.toLowerCase(), { subscriptions: subs, dedupe });
    }
    this.container = rhea.create_container({ id: 'fake-servicebus' });
    this.container.options.treat_modified_as_released = false;
    this.container.options.autoaccept = false;
    this.container.sasl_server_mechanisms.enable_anonymous();
    this.wire();
  }

  static async start(options: FakeServiceBusOptions = {}): Promise<FakeServiceBus> {
    const bus = new FakeServiceBus(options);
    const listenOptions = options.tls
      ? { port: 0, host: '127.0.0.1', transport: 'tls', key: options.tls.key, cert: options.tls.cert }
      : { port: 0, host: '127.0.0.1' };
    const server = bus.container.listen(listenOptions as never) as unknown as Server;
    bus.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('listening', resolve);
      server.once('error', reject);
    });
    bus.port = (server.address() as AddressInfo).port;
    bus.timer = setInterval(() => bus.tick(), 20);
    bus.timer.unref();
    return bus;
  }

  get connectionString(): string {
    const { keyName = 'k', key = 'v' } = this.options;
    return `Endpoint=sb://127.0.0.1:${this.port};SharedAccessKeyName=${keyName};SharedAccessKey=${key};UseDevelopmentEmulator=true`;
  }

  /** A queue, subscription (`topic/Subscriptions/sub`) or dead-letter sub-queue, for assertions. */
  entity(name: string): BrokerEntity {
    const e = this.entities.get(name.toLowerCase());
    if (!e) throw new Error(`fake broker: no entity ${name}`);
    return e;
  }

  /** Cuts every client connection without a goodbye (a network failure or a killed process). */
  dropConnections(): void {
    for (const c of this.connections) (c as unknown as { socket?: { destroy(): void } }).socket?.destroy();
  }

  async close(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    for (const c of this.connections) c.close();
    this.dropConnections();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  private addEntity(name: string, opts: EntityOptions, next: () => number): BrokerEntity {
    const dlq = new BrokerEntity(`${name}/$DeadLetterQueue`, {}, next);
    const entity = new BrokerEntity(name, opts, next, dlq);
    this.entities.set(name.toLowerCase(), entity);
    this.entities.set(dlq.name.toLowerCase(), dlq);
    return entity;
  }

  private tick(): void {
    const now = this.now();
    for (const e of this.entities.values()) {
      e.expireLocks(now);
      this.pump(e);
    }
  }

  private wire(): void {
    const c = this.container;
    c.on('connection_open', (ctx: EventContext) => this.connections.add(ctx.connection));
    c.on('disconnected', (ctx: EventContext) => this.dropConnection(ctx.connection));
    c.on('connection_close', (ctx: EventContext) => this.dropConnection(ctx.connection));
    c.on('receiver_open', (ctx: EventContext) => this.onClientSender(ctx.receiver!));
    c.on('sender_open', (ctx: EventContext) => this.onClientReceiver(ctx.sender!));
    c.on('sender_close', (ctx: EventContext) => this.onConsumerGone(ctx.sender!));
    c.on('message', (ctx: EventContext) => this.onMessage(ctx));
    c.on('sendable', (ctx: EventContext) => this.pumpLink(ctx.sender!));
    c.on('sender_draining', (ctx: EventContext) => {
      this.pumpLink(ctx.sender!);
      ctx.sender!.set_drained(true);
    });
    c.on('accepted', (ctx: EventContext) => this.settle(ctx.delivery!, 'complete'));
    c.on('modified', (ctx: EventContext) => this.settle(ctx.delivery!, 'modified'));
    c.on('released', (ctx: EventContext) => this.settle(ctx.delivery!, 'abandon'));
    c.on('rejected', (ctx: EventContext) => this.settle(ctx.delivery!, 'rejected'));
    c.on('error', () => {});
  }

  private dropConnection(conn: Connection): void {
    this.connections.delete(conn);
    const now = this.now();
    for (const e of this.entities.values()) {
      for (const consumer of [...e.consumers]) {
        if (consumer.sender.connection === conn) e.detach(consumer.sender, now);
      }
      this.pump(e);
    }
  }

  /** The client opened a sending link: `$cbs`, `<entity>/$management`, a queue or a topic. */
  private onClientSender(link: Receiver): void {
    const address = link.target?.address ?? '';
    link.set_target({ address });
    (link as unknown as LocalAttach).local.attach.max_message_size =
      this.options.maxMessageSize ?? 256 * 1024;
    const base = address.replace(/\/\$management$/i, '');
    if (address === '$cbs' || this.entities.has(base.toLowerCase()) || this.topics.has(base.toLowerCase()))
      return;
    link.close({
      condition: 'amqp:not-found',
      description: `The messaging entity '${address}' could not be found.`,
    });
  }

  /** The client opened a receiving link: a reply link, or a consumer of an entity (maybe a session). */
  private onClientReceiver(link: Sender): void {
    const source = link.source as { address?: string; filter?: Record<string, unknown> } | undefined;
    const address = source?.address ?? '';
    if (address === '$cbs' || /\/\$management$/i.test(address)) {
      link.set_source({ address });
      return;
    }
    const entity = this.entities.get(address.toLowerCase());
    if (!entity) {
      link.set_source({ address });
      link.close({
        condition: 'amqp:not-found',
        description: `The messaging entity '${address}' could not be found.`,
      });
      return;
    }
    const local = (link as unknown as LocalAttach).local.attach;
    local.snd_settle_mode = link.snd_settle_mode;
    answerDrainAlways(link);
    let sessionId: string | undefined;
    if (entity.sessions) {
      const filter = source?.filter;
      const requested = filter?.[SESSION_FILTER];
      sessionId = entity.acquireSession(link, requested == null ? undefined : String(requested), this.now());
      if (sessionId === undefined) {
        link.set_source({ address });
        const what =
          requested == null ? 'No unlocked sessions available' : `Session ${String(requested)} is locked`;
        link.close({ condition: 'com.microsoft:session-cannot-be-locked', description: what });
        return;
      }
      link.set_source({ address, filter: { [SESSION_FILTER]: sessionId } });
      const until = entity.sessionLocks.get(sessionId)!.until;
      const ticks = Buffer.alloc(8);
      ticks.writeBigInt64BE(BigInt(until) * 10000n + TICKS_AT_EPOCH);
      local.properties = { 'com.microsoft:locked-until-utc': rhea.types.wrap_long(ticks) };
    } else {
      link.set_source({ address });
    }
    entity.consumers.add({ sender: link, sessionId, receiveAndDelete: link.snd_settle_mode === 1 });
  }

  private onConsumerGone(link: Sender): void {
    const now = this.now();
    for (const e of this.entities.values()) {
      if ([...e.consumers].some((c) => c.sender === link)) {
        e.detach(link, now);
        this.pump(e);
      }
    }
  }

  private onMessage(ctx: EventContext): void {
    const receiver = ctx.receiver!;
    const delivery = ctx.delivery!;
    const address = receiver.target?.address ?? '';
    const raw = ctx.message!;
    if (address === '$cbs') {
      this.reply(ctx.connection, raw, checkPutToken(raw, this.options, this.now(), this.authorizations));
      delivery.accept();
      return;
    }
    if (/\/\$management$/i.test(address)) {
      const entity = this.entities.get(address.replace(/\/\$management$/i, '').toLowerCase());
      if (entity) {
        const r = handleManagement(raw, {
          entity,
          now: this.now(),
          encode: (m, lockedUntil) => rhea.message.encode(outgoingMessage(m, lockedUntil)),
          changed: () => this.pump(entity),
        });
        this.reply(ctx.connection, raw, r);
      }
      delivery.accept();
      return;
    }
    const messages =
      (ctx as { format?: number }).format === BATCH_FORMAT ? batchParts(raw as unknown as Buffer) : [raw];
    const now = this.now();
    const topic = this.topics.get(address.toLowerCase());
    const targets = topic ? topic.subscriptions : [this.entities.get(address.toLowerCase())!];
    for (const m of messages) {
      if (topic && !topic.dedupe.enqueue(m, now)) continue;
      for (const target of targets) {
        if (target.sessions && m.group_id === undefined) {
          delivery.reject({
            condition: 'amqp:invalid-field',
            description: `The SessionId was not set on a message, and it cannot be sent to the entity '${target.name}'. Entities that have session support enabled can only receive messages that have the SessionId set to a valid value.`,
          });
          return;
        }
      }
      for (const target of targets) target.enqueue(m, now);
    }
    delivery.accept();
    for (const target of targets) this.pump(target);
  }

  private reply(
    conn: Connection,
    request: Message,
    r: { status: number; description?: string; condition?: string; body?: unknown },
  ): void {
    const replyTo = request.reply_to;
    const link = conn.find_sender((s: Sender) => s.name === replyTo || s.target?.address === replyTo);
    if (!link) return;
    const application_properties: Record<string, unknown> = {
      'status-code': r.status,
      statusCode: r.status,
      'status-description': r.description ?? '',
      statusDescription: r.description ?? '',
    };
    if (r.condition) application_properties.errorCondition = r.condition;
    link.send({ correlation_id: request.message_id, application_properties, body: r.body ?? {} });
  }

  private pump(entity: BrokerEntity): void {
    for (const c of [...entity.consumers]) this.deliver(entity, c);
  }

  private pumpLink(link: Sender): void {
    for (const e of this.entities.values()) {
      for (const c of e.consumers) if (c.sender === link) this.deliver(e, c);
    }
  }

  private deliver(entity: BrokerEntity, consumer: ConsumerLink): void {
    const now = this.now();
    while (consumer.sender.is_open() && consumer.sender.sendable()) {
      const m = entity.nextFor(consumer, now);
      if (!m) return;
      if (consumer.receiveAndDelete) {
        entity.complete(m);
        consumer.sender.send(outgoingMessage(m));
        continue;
      }
      const tag = entity.lock(m, consumer.sender, now);
      const delivery = consumer.sender.send(outgoingMessage(m, m.lock!.until), tag);
      this.inflight.set(delivery, { entity, message: m, token: m.lock!.token });
    }
  }

  /** A client settled a delivery: apply it if the lock still holds, else answer lock lost. */
  private settle(delivery: Delivery, kind: DispositionKind): void {
    const info = this.inflight.get(delivery);
    if (!info) return;
    this.inflight.delete(delivery);
    const { entity, message } = info;
    const now = this.now();
    const held =
      message.lock?.token === info.token && message.lock.until > now && entity.messages.has(message.seq);
    if (!held) {
      delivery.update(true, lockLostOutcome());
      return;
    }
    applyDisposition(entity, message, kind, delivery.remote_state as RemoteState | undefined, now);
    delivery.update(true, acceptedOutcome());
    this.pump(entity);
  }
}

/**
 * AMQP requires a sender to answer every drain request with a flow (drain=true), even when the credit
 * is already used up. rhea only answers when credit is left, which makes the SDK's batching receiver
 * time out and close its link when the last messages raced the drain; this link answers always.
 */
function answerDrainAlways(link: Sender): void {
  const raw = link as unknown as {
    _draining: boolean;
    _drained: boolean;
    credit: number;
    delivery_count: number;
    _get_drain(): boolean;
  };
  raw._get_drain = function (this: typeof raw): boolean {
    if (!this._draining || !this._drained) return false;
    this.delivery_count += this.credit;
    this.credit = 0;
    this._draining = false;
    return true;
  };
}
