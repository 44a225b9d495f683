import { createHmac } from 'node:crypto';
import type { AddressInfo, Server } from 'node:net';
import rhea, {
  type AmqpError,
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

const BATCH_FORMAT = 0x80013700;
const SESSION_FILTER = 'com.microsoft:session-filter';
const TICKS_AT_EPOCH = 621355968000000000n;

interface Outcomes {
  accepted(): { described(): unknown };
  rejected(fields: { error?: AmqpError }): { described(): unknown };
}
const outcomes = rhea.message as unknown as Outcomes;

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
      this.reply(ctx.connection, raw, this.putToken(raw));
      delivery.accept();
      return;
    }
    if (/\/\$management$/i.test(address)) {
      const entity = this.entities.get(address.replace(/\/\$management$/i, '').toLowerCase());
      if (entity) {
        const r = handleManagement(raw, {
          entity,
          now: this.now(),
          encode: (m, lockedUntil) => rhea.message.encode(this.outgoing(m, lockedUntil)),
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

  private putToken(request: Message): { status: number; description: string } {
    const props = request.application_properties ?? {};
    const type = String(props.type ?? '');
    const audience = String(props.name ?? '');
    const token = String(request.body ?? '');
    if (type === 'servicebus.windows.net:sastoken') {
      const fields = new URLSearchParams(token.replace(/^SharedAccessSignature /, '').replace(/\+/g, '%2B'));
      const sr = fields.get('sr') ?? '';
      const se = fields.get('se') ?? '';
      const expected = createHmac('sha256', this.options.key ?? 'v')
        .update(`${encodeURIComponent(sr)}\n${se}`)
        .digest('base64');
      const okKey = fields.get('skn') === (this.options.keyName ?? 'k');
      if (!okKey || fields.get('sig') !== expected || Number(se) * 1000 < this.now()) {
        return { status: 401, description: 'InvalidSignature: the token has an invalid signature' };
      }
    } else if (type === 'jwt') {
      const ok = this.options.acceptToken ? this.options.acceptToken(token) : token.length > 0;
      if (!ok) return { status: 401, description: 'InvalidIssuer: token is not valid' };
    } else {
      return { status: 400, description: `unknown token type ${type}` };
    }
    this.authorizations.push({ type, audience });
    return { status: 202, description: 'Accepted' };
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
        consumer.sender.send(this.outgoing(m));
        continue;
      }
      const tag = entity.lock(m, consumer.sender, now);
      const delivery = consumer.sender.send(this.outgoing(m, m.lock!.until), tag);
      this.inflight.set(delivery, { entity, message: m, token: m.lock!.token });
    }
  }

  /** The message as delivered: sender's fields plus broker annotations and the delivery count. */
  private outgoing(m: StoredMessage, lockedUntil?: number): Message {
    const annotations: Record<string, unknown> = {
      ...(m.message.message_annotations ?? {}),
      'x-opt-sequence-number': rhea.types.wrap_long(m.seq),
      'x-opt-enqueued-time': new Date(m.enqueuedAt),
    };
    if (lockedUntil !== undefined) annotations['x-opt-locked-until'] = new Date(lockedUntil);
    return { ...m.message, delivery_count: m.deliveryCount, message_annotations: annotations } as Message;
  }

  /** A client settled a delivery: apply it if the lock still holds, else answer lock lost. */
  private settle(delivery: Delivery, kind: 'complete' | 'modified' | 'abandon' | 'rejected'): void {
    const info = this.inflight.get(delivery);
    if (!info) return;
    this.inflight.delete(delivery);
    const { entity, message } = info;
    const now = this.now();
    const held =
      message.lock?.token === info.token && message.lock.until > now && entity.messages.has(message.seq);
    if (!held) {
      delivery.update(
        true,
        outcomes
          .rejected({
            error: {
              condition: 'com.microsoft:message-lock-lost',
              description:
                'The lock supplied is invalid. Either the lock expired, or the message has already been removed from the queue.',
            },
          })
          .described(),
      );
      return;
    }
    const state = delivery.remote_state as
      | { undeliverable_here?: boolean; error?: { condition?: string; info?: Record<string, unknown> } }
      | undefined;
    if (kind === 'complete') entity.complete(message);
    else if (kind === 'abandon' || (kind === 'modified' && !state?.undeliverable_here))
      entity.release(message, now);
    else if (kind === 'modified') entity.defer(message);
    else {
      const info2 = state?.error?.info ?? {};
      const reason = info2.DeadLetterReason;
      const description = info2.DeadLetterErrorDescription;
      entity.moveToDeadLetter(
        message,
        reason == null ? undefined : String(reason),
        description == null ? undefined : String(description),
        now,
      );
    }
    delivery.update(true, outcomes.accepted().described());
    this.pump(entity);
  }
}

/** Splits a batch envelope (format 0x80013700): each data section is one encoded message. */
function batchParts(raw: Buffer): Message[] {
  const envelope = rhea.message.decode(raw);
  const body = envelope.body as { content?: unknown; multiple?: boolean } | undefined;
  const sections = body?.multiple
    ? (body.content as Buffer[])
    : body?.content
      ? [body.content as Buffer]
      : [];
  return sections.map((s) => rhea.message.decode(Buffer.from(s)) as unknown as Message);
}
