import type { ServiceBusReceivedMessage, ServiceBusReceiver } from '@azure/service-bus';
import type { Logger } from '../../util/logger.js';
import type { Settlement } from './message-processor.js';

/**
 * Applies a settlement. A transient failure waits `delayMs` (holding the auto-renewed lock) before
 * abandoning, so a failing pipeline is not hammered. A settle that fails (lock lost, link gone) is only
 * logged: the broker redelivers and event keys make the second pass harmless.
 */
export async function settle(
  receiver: ServiceBusReceiver,
  message: ServiceBusReceivedMessage,
  s: Settlement,
  opts: { logger: Logger; delayMs: number; source: string },
): Promise<void> {
  const messageId = String(message.messageId ?? '');
  try {
    if (s.action === 'complete') {
      await receiver.completeMessage(message);
    } else if (s.action === 'dead-letter') {
      opts.logger.warn(
        { source: opts.source, messageId, reason: s.reason, description: s.description },
        'message dead-lettered',
      );
      await receiver.deadLetterMessage(message, {
        deadLetterReason: s.reason,
        deadLetterErrorDescription: s.description,
      });
    } else {
      opts.logger.warn(
        { source: opts.source, messageId, deliveryCount: message.deliveryCount, err: errorText(s.error) },
        'intake failed; message will be redelivered',
      );
      if (opts.delayMs > 0) await new Promise((r) => setTimeout(r, opts.delayMs));
      await receiver.abandonMessage(message);
    }
  } catch (err) {
    opts.logger.warn(
      { source: opts.source, messageId, action: s.action, err: errorText(err) },
      'settlement failed; the message will be redelivered and deduplicated',
    );
  }
}

/** Back-off before abandoning: grows with the delivery count, capped. */
export function abandonDelay(deliveryCount: number | undefined, baseMs: number, maxMs: number): number {
  return Math.min(maxMs, baseMs * 2 ** Math.min(10, deliveryCount ?? 0));
}

function errorText(err: unknown): string {
  return err instanceof Error ? `${err.name}: ${err.message}` : String(err);
}
