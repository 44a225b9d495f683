import { randomUUID } from 'node:crypto';
import type { ServiceBusClient, ServiceBusMessage, ServiceBusReceivedMessage } from '@azure/service-bus';
import { createReceiverFor, type EntityRef } from './entity.js';

/** What `replay-dlq` shows of a dead-lettered message: metadata only, never the body. */
export interface DeadLetterInfo {
  readonly entity: string;
  readonly sequenceNumber: string;
  readonly messageId: string;
  readonly sessionId?: string;
  readonly enqueuedAt?: string;
  readonly deliveryCount?: number;
  readonly reason: string;
  readonly description: string;
  readonly moved: boolean;
}

/**
 * Moves dead-lettered messages of one entity back to it (or, with `dryRun`, only lists them). Each copy
 * gets a fresh MessageId (the original is still inside the duplicate-detection window and would be
 * dropped) and keeps body, SessionId and application properties minus the dead-letter ones; the
 * dead-lettered original is completed only after the copy was sent. Event keys make a replay of
 * already-processed records harmless. For a topic subscription the copy goes to the topic (every
 * subscription sees it again).
 */
export async function replayDeadLetters(
  client: ServiceBusClient,
  entity: EntityRef,
  opts: { dryRun: boolean; max: number; waitMs?: number; onMessage?: (info: DeadLetterInfo) => void },
): Promise<DeadLetterInfo[]> {
  const receiver = createReceiverFor(client, entity, {
    subQueueType: 'deadLetter',
    receiveMode: 'peekLock',
    maxAutoLockRenewalDurationInMs: 60_000,
  });
  const sender = client.createSender(entity.queue ?? entity.topic!);
  const out: DeadLetterInfo[] = [];
  try {
    if (opts.dryRun) {
      for (const m of await receiver.peekMessages(opts.max))
        out.push(report(entity, m, false, opts.onMessage));
      return out;
    }
    while (out.length < opts.max) {
      const batch = await receiver.receiveMessages(Math.min(50, opts.max - out.length), {
        maxWaitTimeInMs: opts.waitMs ?? 2_000,
      });
      if (batch.length === 0) break;
      for (const m of batch) {
        await sender.sendMessages(copyOf(m));
        await receiver.completeMessage(m);
        out.push(report(entity, m, true, opts.onMessage));
      }
    }
    return out;
  } finally {
    await sender.close();
    await receiver.close();
  }
}

function copyOf(m: ServiceBusReceivedMessage): ServiceBusMessage {
  const props = { ...(m.applicationProperties ?? {}) };
  delete props.DeadLetterReason;
  delete props.DeadLetterErrorDescription;
  props['kvw-replayed-from'] = String(m.messageId ?? '');
  return {
    body: m.body,
    messageId: `replay-${randomUUID()}`,
    ...(m.sessionId !== undefined ? { sessionId: m.sessionId } : {}),
    ...(m.contentType !== undefined ? { contentType: m.contentType } : {}),
    ...(m.subject !== undefined ? { subject: m.subject } : {}),
    applicationProperties: props,
  };
}

function report(
  entity: EntityRef,
  m: ServiceBusReceivedMessage,
  moved: boolean,
  onMessage?: (info: DeadLetterInfo) => void,
): DeadLetterInfo {
  const info: DeadLetterInfo = {
    entity: entity.label,
    sequenceNumber: m.sequenceNumber?.toString() ?? '',
    messageId: String(m.messageId ?? ''),
    ...(m.sessionId !== undefined ? { sessionId: m.sessionId } : {}),
    ...(m.enqueuedTimeUtc ? { enqueuedAt: m.enqueuedTimeUtc.toISOString() } : {}),
    ...(m.deliveryCount !== undefined ? { deliveryCount: m.deliveryCount } : {}),
    reason: String(m.deadLetterReason ?? '(none)'),
    description: String(m.deadLetterErrorDescription ?? ''),
    moved,
  };
  onMessage?.(info);
  return info;
}
