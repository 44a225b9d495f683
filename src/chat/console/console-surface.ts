import type { Store } from '../../store/store.js';
import type { CardLocation, CardMessage, ChatSurface } from '../chat-surface.js';

/** Store collection holding every console message, so a page reload (or a restart) shows them again. */
export const CONSOLE_MESSAGES = 'console-messages';

/** One message on the console: a card, or a plain notice line. */
export interface ConsoleMessage {
  readonly id: string;
  readonly channel: string;
  readonly kind: 'card' | 'text';
  readonly text: string;
  readonly card?: CardMessage['card'];
  /** ISO time of the first post and of the last update. */
  readonly postedAt: string;
  readonly updatedAt: string;
}

/** What the page hears about over server-sent events. */
export type ConsoleEvent =
  | { readonly type: 'message'; readonly message: ConsoleMessage }
  | { readonly type: 'notice'; readonly text: string };

export type ConsoleListener = (event: ConsoleEvent) => void;

/**
 * The local console as a ChatSurface: messages live in memory and in the store, and every post or
 * update is pushed to the attached pages. It never fails like a remote chat service does, so the
 * outbox drains at once; the store write is what makes a delivery count.
 */
export class ConsoleSurface implements ChatSurface {
  readonly name = 'console' as const;
  private readonly messages = new Map<string, ConsoleMessage>();
  private readonly listeners = new Set<ConsoleListener>();
  private readonly pending = new Map<string, Promise<void>>();
  private seq = 0;

  constructor(
    private readonly store: Store,
    private readonly now: () => number = Date.now,
  ) {}

  /** Loads earlier messages from the store (call once before serving). */
  async start(): Promise<void> {
    const rows = await this.store.list<ConsoleMessage>(CONSOLE_MESSAGES);
    for (const row of rows) {
      this.messages.set(row.id, row.value);
      this.seq = Math.max(this.seq, Number.parseInt(row.id.slice(1), 10) || 0);
    }
  }

  async postCard(channel: string, message: CardMessage): Promise<CardLocation> {
    const at = new Date(this.now()).toISOString();
    const stored: ConsoleMessage = {
      id: this.nextId(),
      channel,
      kind: 'card',
      text: message.text,
      card: message.card,
      postedAt: at,
      updatedAt: at,
    };
    await this.store.create(CONSOLE_MESSAGES, stored.id, stored);
    this.messages.set(stored.id, stored);
    this.emit({ type: 'message', message: stored });
    return { surface: 'console', channel, messageId: stored.id };
  }

  async updateCard(location: CardLocation, message: CardMessage): Promise<void> {
    // Updates of one message are applied one at a time, in call order.
    const previous = this.pending.get(location.messageId) ?? Promise.resolve();
    const next = previous.then(
      () => this.applyUpdate(location, message),
      () => this.applyUpdate(location, message),
    );
    this.pending.set(location.messageId, next);
    try {
      await next;
    } finally {
      if (this.pending.get(location.messageId) === next) this.pending.delete(location.messageId);
    }
  }

  private async applyUpdate(location: CardLocation, message: CardMessage): Promise<void> {
    const current = this.messages.get(location.messageId);
    const at = new Date(this.now()).toISOString();
    const next: ConsoleMessage = {
      id: location.messageId,
      channel: location.channel,
      kind: 'card',
      text: message.text,
      card: message.card,
      postedAt: current?.postedAt ?? at,
      updatedAt: at,
    };
    // The console is the only writer of its own messages: last write wins by design.
    const stored = await this.store.get<ConsoleMessage>(CONSOLE_MESSAGES, next.id);
    if (stored) await this.store.update(CONSOLE_MESSAGES, next.id, next, stored.version);
    else await this.store.create(CONSOLE_MESSAGES, next.id, next);
    this.messages.set(next.id, next);
    this.emit({ type: 'message', message: next });
  }

  async postText(channel: string, text: string): Promise<void> {
    const at = new Date(this.now()).toISOString();
    const stored: ConsoleMessage = {
      id: this.nextId(),
      channel,
      kind: 'text',
      text,
      postedAt: at,
      updatedAt: at,
    };
    await this.store.create(CONSOLE_MESSAGES, stored.id, stored);
    this.messages.set(stored.id, stored);
    this.emit({ type: 'message', message: stored });
  }

  /** A transient line for every open page (not stored): start-up notes, shutdown. */
  broadcastNotice(text: string): void {
    this.emit({ type: 'notice', text });
  }

  /** All messages, oldest first. */
  list(): ConsoleMessage[] {
    return [...this.messages.values()].sort((a, b) => a.id.localeCompare(b.id));
  }

  get(id: string): ConsoleMessage | undefined {
    return this.messages.get(id);
  }

  /** Attaches a page; returns the detach function. */
  subscribe(listener: ConsoleListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  get subscribers(): number {
    return this.listeners.size;
  }

  private nextId(): string {
    this.seq += 1;
    return `m${String(this.seq).padStart(10, '0')}`;
  }

  private emit(event: ConsoleEvent): void {
    for (const listener of this.listeners) {
      try {
        listener(event);
      } catch {
        // A broken page connection must not stop delivery to the others.
      }
    }
  }
}
