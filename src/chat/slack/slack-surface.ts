import type { WebClient } from '@slack/web-api';
import { toBlockKit } from '../block-kit/to-block-kit.js';
import type { CardLocation, CardMessage, ChatSurface, SupportsEphemeral } from '../chat-surface.js';
import { toUpstreamError } from './slack-errors.js';

/**
 * Slack as a ChatSurface: cards are posted as Block Kit (mapped from the Adaptive Card) with the
 * text as notification fallback, and edited in place with `chat.update` so everyone sees the
 * current state. The WebClient must be built with retries off (see `createSlackWebClient`):
 * the outbox owns retrying and honours Retry-After.
 */
export class SlackSurface implements ChatSurface, SupportsEphemeral {
  readonly name = 'slack' as const;

  constructor(private readonly client: WebClient) {}

  async postCard(channel: string, message: CardMessage): Promise<CardLocation> {
    const blocks = toBlockKit(message.card);
    const res = await this.call('chat.postMessage', () =>
      this.client.chat.postMessage({ channel, text: message.text, blocks, unfurl_links: false }),
    );
    if (typeof res.ts !== 'string') throw toUpstreamError('chat.postMessage', new Error('no ts in response'));
    return {
      surface: 'slack',
      channel: typeof res.channel === 'string' ? res.channel : channel,
      messageId: res.ts,
    };
  }

  async updateCard(location: CardLocation, message: CardMessage): Promise<void> {
    const blocks = toBlockKit(message.card);
    await this.call('chat.update', () =>
      this.client.chat.update({
        channel: location.channel,
        ts: location.messageId,
        text: message.text,
        blocks,
      }),
    );
  }

  async postText(channel: string, text: string): Promise<void> {
    await this.call('chat.postMessage', () => this.client.chat.postMessage({ channel, text }));
  }

  async replyEphemeral(channel: string, userId: string, text: string): Promise<void> {
    await this.call('chat.postEphemeral', () =>
      this.client.chat.postEphemeral({ channel, user: userId, text }),
    );
  }

  private async call<T>(method: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      throw toUpstreamError(method, err);
    }
  }
}
