import type { App, Receiver, ReceiverEvent } from '@slack/bolt';
import type { Logger } from '../../util/logger.js';

/** Bolt's own rule: an event not acknowledged within three seconds is answered 404 and logged. */
export const ACK_TIMEOUT_MS = 3_000;

export interface AckResponse {
  readonly status: number;
  readonly body?: unknown;
  readonly contentType?: string;
}

/**
 * A Bolt Receiver fed by our fastify route (which has already verified the signature): it
 * hands each request to `app.processEvent` and resolves with whatever the listener passed to
 * `ack()`, as soon as it acks — listeners keep running after the HTTP response is sent.
 */
export class FastifyBoltReceiver implements Receiver {
  private app?: App;

  constructor(
    private readonly logger: Logger,
    private readonly ackTimeoutMs = ACK_TIMEOUT_MS,
  ) {}

  init(app: App): void {
    this.app = app;
  }

  async start(): Promise<void> {}
  async stop(): Promise<void> {}

  /** Runs the listeners for one verified request; resolves with the HTTP answer at ack time. */
  dispatch(body: Record<string, unknown>, retry?: { num?: number; reason?: string }): Promise<AckResponse> {
    const app = this.app;
    if (!app) return Promise.resolve({ status: 503, body: 'Slack app not initialised' });
    return new Promise<AckResponse>((resolve) => {
      let settled = false;
      const settle = (answer: AckResponse) => {
        if (settled) return false;
        settled = true;
        clearTimeout(timer);
        resolve(answer);
        return true;
      };
      const timer = setTimeout(() => {
        if (settle({ status: 404 })) this.logger.error('Slack request was not acknowledged within 3 seconds');
      }, this.ackTimeoutMs);
      const event: ReceiverEvent = {
        body,
        ...(retry?.num !== undefined && { retryNum: retry.num }),
        ...(retry?.reason !== undefined && { retryReason: retry.reason }),
        ack: async (response?: unknown) => {
          if (!settle(toAckResponse(response)))
            this.logger.warn('Slack request acknowledged twice or too late');
        },
      };
      app.processEvent(event).then(
        () => settle({ status: 200 }),
        (err: unknown) => {
          this.logger.error({ err }, 'Slack listener failed');
          settle({ status: 500 });
        },
      );
    });
  }
}

function toAckResponse(response: unknown): AckResponse {
  if (response === undefined || response === null || response === '') return { status: 200 };
  if (typeof response === 'string')
    return { status: 200, body: response, contentType: 'text/plain; charset=utf-8' };
  return { status: 200, body: response, contentType: 'application/json; charset=utf-8' };
}
