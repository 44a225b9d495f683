import type { CardLocation, CardMessage, ChatSurface, SurfaceName } from '../../src/chat/chat-surface.js';
import { UpstreamError } from '../../src/errors.js';
import type { Clock } from '../../src/util/clock.js';

/**
 * An in-memory chat service with the rules that matter to the outbox: a message id exists only after
 * a post, updates to an unknown message fail, and an outage throws UpstreamError (every `throttleEvery`th
 * one a 429 with Retry-After) until `downUntilMs`.
 */
export class FakeChatSurface implements ChatSurface {
  readonly messages = new Map<string, { channel: string; texts: string[]; cards: CardMessage[] }>();
  readonly texts: Array<{ channel: string; text: string }> = [];
  calls = 0;
  failures = 0;
  downUntilMs = Number.NEGATIVE_INFINITY;
  throttleEvery = 0;
  retryAfterMs = 5_000;
  /** When set, postCard waits for this before answering (to test updates queued while a post is in flight). */
  gate?: Promise<void>;
  private nextId = 0;

  constructor(
    readonly name: SurfaceName,
    private readonly clock: Clock,
  ) {}

  async postCard(channel: string, message: CardMessage): Promise<CardLocation> {
    this.check();
    if (this.gate) await this.gate;
    const messageId = `${this.name}-msg-${++this.nextId}`;
    this.messages.set(messageId, { channel, texts: [message.text], cards: [message] });
    return { surface: this.name, channel, messageId };
  }

  async updateCard(location: CardLocation, message: CardMessage): Promise<void> {
    this.check();
    const m = this.messages.get(location.messageId);
    if (!m || m.channel !== location.channel)
      throw new UpstreamError('message_not_found', { transient: false });
    m.texts.push(message.text);
    m.cards.push(message);
  }

  async postText(channel: string, text: string): Promise<void> {
    this.check();
    this.texts.push({ channel, text });
  }

  /** Messages whose first text starts with `prefix`. */
  messagesFor(prefix: string): Array<{ channel: string; texts: string[] }> {
    return [...this.messages.values()].filter((m) => m.texts[0]?.startsWith(prefix));
  }

  private check(): void {
    this.calls++;
    if (this.clock.now() < this.downUntilMs) {
      this.failures++;
      if (this.throttleEvery > 0 && this.failures % this.throttleEvery === 0) {
        throw new UpstreamError('ratelimited', { throttled: true, retryAfterMs: this.retryAfterMs });
      }
      throw new UpstreamError('service unavailable (503)');
    }
  }
}
