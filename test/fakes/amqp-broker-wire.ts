import { createHmac } from 'node:crypto';
import rhea, { type AmqpError, type Message } from 'rhea';
import type { BrokerEntity, StoredMessage } from './amqp-broker-entity.js';

/** Message format of a batch send: one envelope whose data sections are encoded messages. */
export const BATCH_FORMAT = 0x80013700;

interface Outcomes {
  accepted(): { described(): unknown };
  rejected(fields: { error?: AmqpError }): { described(): unknown };
}
const outcomes = rhea.message as unknown as Outcomes;

export type DispositionKind = 'complete' | 'modified' | 'abandon' | 'rejected';
export type RemoteState = {
  undeliverable_here?: boolean;
  error?: { condition?: string; info?: Record<string, unknown> };
};

/** Checks a CBS put-token: SAS signatures against the namespace key, bearer tokens through `acceptToken`. */
export function checkPutToken(
  request: Message,
  options: { keyName?: string; key?: string; acceptToken?: (token: string) => boolean },
  nowMs: number,
  authorizations: Array<{ type: string; audience: string }>,
): { status: number; description: string } {
  const props = request.application_properties ?? {};
  const type = String(props.type ?? '');
  const audience = String(props.name ?? '');
  const token = String(request.body ?? '');
  if (type === 'servicebus.windows.net:sastoken') {
    const fields = new URLSearchParams(token.replace(/^SharedAccessSignature /, '').replace(/\+/g, '%2B'));
    const sr = fields.get('sr') ?? '';
    const se = fields.get('se') ?? '';
    const expected = createHmac('sha256', options.key ?? 'v')
      .update(`${encodeURIComponent(sr)}\n${se}`)
      .digest('base64');
    const okKey = fields.get('skn') === (options.keyName ?? 'k');
    if (!okKey || fields.get('sig') !== expected || Number(se) * 1000 < nowMs) {
      return { status: 401, description: 'InvalidSignature: the token has an invalid signature' };
    }
  } else if (type === 'jwt') {
    const ok = options.acceptToken ? options.acceptToken(token) : token.length > 0;
    if (!ok) return { status: 401, description: 'InvalidIssuer: token is not valid' };
  } else {
    return { status: 400, description: `unknown token type ${type}` };
  }
  authorizations.push({ type, audience });
  return { status: 202, description: 'Accepted' };
}

/** The message as delivered: sender's fields plus broker annotations and the delivery count. */
export function outgoingMessage(m: StoredMessage, lockedUntil?: number): Message {
  const annotations: Record<string, unknown> = {
    ...(m.message.message_annotations ?? {}),
    'x-opt-sequence-number': rhea.types.wrap_long(m.seq),
    'x-opt-enqueued-time': new Date(m.enqueuedAt),
  };
  if (lockedUntil !== undefined) annotations['x-opt-locked-until'] = new Date(lockedUntil);
  return { ...m.message, delivery_count: m.deliveryCount, message_annotations: annotations } as Message;
}

/** Applies a client's disposition to a message whose lock is held. */
export function applyDisposition(
  entity: BrokerEntity,
  message: StoredMessage,
  kind: DispositionKind,
  state: RemoteState | undefined,
  now: number,
): void {
  if (kind === 'complete') entity.complete(message);
  else if (kind === 'abandon' || (kind === 'modified' && !state?.undeliverable_here))
    entity.release(message, now);
  else if (kind === 'modified') entity.defer(message);
  else {
    const info = state?.error?.info ?? {};
    const reason = info.DeadLetterReason;
    const description = info.DeadLetterErrorDescription;
    entity.moveToDeadLetter(
      message,
      reason == null ? undefined : String(reason),
      description == null ? undefined : String(description),
      now,
    );
  }
}

export function acceptedOutcome(): unknown {
  return outcomes.accepted().described();
}

export function lockLostOutcome(): unknown {
  return outcomes
    .rejected({
      error: {
        condition: 'com.microsoft:message-lock-lost',
        description:
          'The lock supplied is invalid. Either the lock expired, or the message has already been removed from the queue.',
      },
    })
    .described();
}

/** Splits a batch envelope (format 0x80013700): each data section is one encoded message. */
export function batchParts(raw: Buffer): Message[] {
  const envelope = rhea.message.decode(raw);
  const body = envelope.body as { content?: unknown; multiple?: boolean } | undefined;
  const sections = body?.multiple
    ? (body.content as Buffer[])
    : body?.content
      ? [body.content as Buffer]
      : [];
  return sections.map((s) => rhea.message.decode(Buffer.from(s)) as unknown as Message);
}
