import rhea, { type Message } from 'rhea';
import type { BrokerEntity, StoredMessage } from './amqp-broker-entity.js';

/** What a `$management` handler may ask of the broker. */
export interface ManagementContext {
  readonly entity: BrokerEntity;
  readonly now: number;
  /** Serializes a stored message the way it is delivered (broker annotations added). */
  encode(m: StoredMessage, lockedUntil?: number): Buffer;
  /** Messages may have changed: deliver to waiting receivers. */
  changed(): void;
}

export interface ManagementReply {
  readonly status: number;
  readonly description?: string;
  readonly condition?: string;
  readonly body?: unknown;
}

type Body = Record<string, unknown>;

/** Answers one `com.microsoft:*` request on `<entity>/$management` (the subset the SDK uses). */
export function handleManagement(request: Message, ctx: ManagementContext): ManagementReply {
  const operation = String(request.application_properties?.operation ?? '');
  const body = (request.body ?? {}) as Body;
  const { entity, now } = ctx;
  switch (operation) {
    case 'com.microsoft:renew-lock': {
      const expirations: Date[] = [];
      for (const token of asBuffers(body['lock-tokens'])) {
        const m = entity.byToken(token);
        if (!m?.lock || m.lock.until <= now) return lockLost();
        m.lock.until = now + entity.lockDurationMs;
        expirations.push(new Date(m.lock.until));
      }
      return { status: 200, body: { expirations } };
    }
    case 'com.microsoft:update-disposition': {
      const status = String(body['disposition-status']);
      for (const token of asBuffers(body['lock-tokens'])) {
        const m = entity.byToken(token);
        if (!m?.lock || m.lock.until <= now) return lockLost();
        if (status === 'completed') entity.complete(m);
        else if (status === 'abandoned') entity.release(m, now);
        else if (status === 'defered') entity.defer(m);
        else if (status === 'suspended') {
          entity.moveToDeadLetter(
            m,
            optionalString(body['deadletter-reason']),
            optionalString(body['deadletter-description']),
            now,
          );
        } else return { status: 400, condition: 'amqp:invalid-field', description: `disposition ${status}` };
      }
      ctx.changed();
      return { status: 200, body: {} };
    }
    case 'com.microsoft:peek-message': {
      const from = Number(body['from-sequence-number'] ?? 0);
      const count = Number(body['message-count'] ?? 1);
      const sessionId = optionalString(body['session-id']);
      const found = [...entity.messages.values()]
        .filter((m) => m.seq >= from && (sessionId === undefined || m.sessionId === sessionId))
        .slice(0, count);
      if (found.length === 0) return { status: 204, description: 'No messages' };
      return { status: 200, body: { messages: found.map((m) => ({ message: ctx.encode(m) })) } };
    }
    case 'com.microsoft:schedule-message': {
      const entries = (body.messages ?? []) as Body[];
      const seqs: number[] = [];
      for (const entry of entries) {
        const decoded = rhea.message.decode(entry.message as Buffer) as unknown as Message;
        const at = decoded.message_annotations?.['x-opt-scheduled-enqueue-time'];
        const when = at instanceof Date ? at.getTime() : typeof at === 'number' ? at : now;
        const stored = entity.enqueue(decoded, now, when);
        seqs.push(stored?.seq ?? 0);
      }
      ctx.changed();
      return { status: 200, body: { 'sequence-numbers': seqs } };
    }
    case 'com.microsoft:cancel-scheduled-message': {
      for (const seq of (body['sequence-numbers'] ?? []) as unknown[]) {
        entity.messages.delete(
          typeof seq === 'number' ? seq : Number(Buffer.from(seq as Buffer).readBigInt64BE()),
        );
      }
      return { status: 200, body: {} };
    }
    case 'com.microsoft:renew-session-lock': {
      const lock = entity.sessionLocks.get(String(body['session-id']));
      if (!lock)
        return {
          status: 410,
          condition: 'com.microsoft:session-lock-lost',
          description: 'session lock lost',
        };
      lock.until = now + entity.lockDurationMs;
      return { status: 200, body: { expiration: new Date(lock.until) } };
    }
    case 'com.microsoft:get-session-state': {
      const state = entity.sessionStates.get(String(body['session-id']));
      return { status: 200, body: { 'session-state': state ?? null } };
    }
    case 'com.microsoft:set-session-state': {
      const sid = String(body['session-id']);
      if (!entity.sessionLocks.has(sid)) {
        return {
          status: 410,
          condition: 'com.microsoft:session-lock-lost',
          description: 'session not locked',
        };
      }
      const state = body['session-state'];
      if (state === null || state === undefined) entity.sessionStates.delete(sid);
      else entity.sessionStates.set(sid, Buffer.from(state as Buffer));
      return { status: 200, body: {} };
    }
    default:
      return {
        status: 501,
        condition: 'amqp:not-implemented',
        description: `the fake broker does not implement ${operation}`,
      };
  }
}

function lockLost(): ManagementReply {
  return {
    status: 410,
    condition: 'com.microsoft:message-lock-lost',
    description:
      'The lock supplied is invalid. Either the lock expired, or the message has already been removed.',
  };
}

function asBuffers(value: unknown): Buffer[] {
  if (!Array.isArray(value)) return [];
  return value.map((v) => (Buffer.isBuffer(v) ? v : Buffer.from(rhea.string_to_uuid(String(v)))));
}

function optionalString(v: unknown): string | undefined {
  return v === undefined || v === null ? undefined : String(v);
}
