import { ServiceBusClient } from '@azure/service-bus';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FakeServiceBus } from '../fakes/amqp-broker.js';
import { until } from './helpers/intake-stack.js';

let bus: FakeServiceBus;
let client: ServiceBusClient;

beforeEach(async () => {
  bus = await FakeServiceBus.start({
    queues: [
      { name: 'plain', lockDurationMs: 300, maxDeliveryCount: 3, duplicateDetectionWindowMs: 60_000 },
      { name: 'audit', sessions: true, lockDurationMs: 2_000 },
    ],
    topics: [{ name: 'events', subscriptions: [{ name: 'kvw' }, { name: 'other' }] }],
    maxMessageSize: 4 * 1024,
  });
  client = new ServiceBusClient(bus.connectionString);
});

afterEach(async () => {
  await client.close();
  await bus.close();
});

const fast = { maxWaitTimeInMs: 3_000 };

describe('fake Service Bus broker through the real SDK', () => {
  it('delivers a sent message with a lock token, sequence number and enqueued time, and completes it', async () => {
    await client.createSender('plain').sendMessages({ body: { hello: 'world' }, messageId: 'm1' });
    const receiver = client.createReceiver('plain');
    const [msg] = await receiver.receiveMessages(1, fast);
    expect(msg?.body).toEqual({ hello: 'world' });
    expect(msg?.messageId).toBe('m1');
    expect(msg?.lockToken).toMatch(/^[0-9a-f-]{36}$/);
    expect(msg?.sequenceNumber?.toNumber()).toBeGreaterThan(0);
    expect(msg?.enqueuedTimeUtc).toBeInstanceOf(Date);
    expect(msg!.lockedUntilUtc!.getTime()).toBeGreaterThan(msg!.enqueuedTimeUtc!.getTime());
    await receiver.completeMessage(msg!);
    expect(bus.entity('plain').messages.size).toBe(0);
  });

  it('assigns a message id when the sender sets none', async () => {
    await client.createSender('plain').sendMessages({ body: 'x' });
    const [msg] = await client.createReceiver('plain').receiveMessages(1, fast);
    expect(String(msg?.messageId)).not.toBe('');
  });

  it('rejects a connection string with the wrong key (CBS signature check)', async () => {
    const bad = new ServiceBusClient(
      bus.connectionString.replace('SharedAccessKey=v', 'SharedAccessKey=nope'),
      {
        retryOptions: { maxRetries: 0, timeoutInMs: 2_000 },
      },
    );
    await expect(bad.createSender('plain').sendMessages({ body: 'x' })).rejects.toThrow();
    await bad.close();
  });

  it('unpacks batches and sizes them by the advertised max_message_size', async () => {
    const sender = client.createSender('plain');
    const batch = await sender.createMessageBatch();
    expect(batch.maxSizeInBytes).toBe(4 * 1024);
    let added = 0;
    while (batch.tryAddMessage({ body: 'y'.repeat(500), messageId: `b${added}` })) added++;
    expect(added).toBeGreaterThan(3);
    expect(added).toBeLessThan(9);
    await sender.sendMessages(batch);
    const got = await client.createReceiver('plain').receiveMessages(added, fast);
    expect(got.map((m) => m.messageId)).toEqual(Array.from({ length: added }, (_, i) => `b${i}`));
  });

  it('answers drain: a receive asking for more than is there returns what there is', async () => {
    await client.createSender('plain').sendMessages([{ body: 1 }, { body: 2 }]);
    const got = await client.createReceiver('plain').receiveMessages(10, { maxWaitTimeInMs: 200 });
    expect(got.map((m) => m.body)).toEqual([1, 2]);
  });

  it('drops a duplicate MessageId inside the detection window', async () => {
    const sender = client.createSender('plain');
    await sender.sendMessages({ body: 'first', messageId: 'same' });
    await sender.sendMessages({ body: 'second', messageId: 'same' });
    expect(bus.entity('plain').messages.size).toBe(1);
  });

  it('redelivers an abandoned message with delivery count + 1', async () => {
    await client.createSender('plain').sendMessages({ body: 'a' });
    const receiver = client.createReceiver('plain');
    const [first] = await receiver.receiveMessages(1, fast);
    expect(first?.deliveryCount).toBe(0);
    await receiver.abandonMessage(first!);
    const [again] = await receiver.receiveMessages(1, fast);
    expect(again?.deliveryCount).toBe(1);
    expect(again?.body).toBe('a');
  });

  it('redelivers after the lock expires and refuses the stale lock token (lock lost)', async () => {
    const clock = { ms: Date.now() };
    const timed = await FakeServiceBus.start({
      queues: [{ name: 'q', lockDurationMs: 300 }],
      now: () => clock.ms,
    });
    const c = new ServiceBusClient(timed.connectionString);
    try {
      await c.createSender('q').sendMessages({ body: 'a' });
      const receiver = c.createReceiver('q', { maxAutoLockRenewalDurationInMs: 0 });
      const [first] = await receiver.receiveMessages(1, fast);
      clock.ms += 301;
      await until(() => timed.entity('q').activeCount() === 1);
      await expect(receiver.completeMessage(first!)).rejects.toMatchObject({ code: 'MessageLockLost' });
      const [again] = await receiver.receiveMessages(1, fast);
      expect(again?.deliveryCount).toBe(1);
    } finally {
      await c.close();
      await timed.close();
    }
  });

  it('renews a lock through $management so the message is not redelivered', async () => {
    const clock = { ms: Date.now() };
    const timed = await FakeServiceBus.start({
      queues: [{ name: 'q', lockDurationMs: 300 }],
      now: () => clock.ms,
    });
    const c = new ServiceBusClient(timed.connectionString);
    try {
      await c.createSender('q').sendMessages({ body: 'a' });
      const receiver = c.createReceiver('q', { maxAutoLockRenewalDurationInMs: 0 });
      const [msg] = await receiver.receiveMessages(1, fast);
      const before = msg!.lockedUntilUtc!.getTime();
      clock.ms += 200;
      const until2 = await receiver.renewMessageLock(msg!);
      expect(until2.getTime()).toBe(before + 200);
      clock.ms += 200; // past the original lock, inside the renewed one
      await new Promise((r) => setTimeout(r, 60)); // let the broker's expiry sweep run
      await receiver.completeMessage(msg!);
      expect(timed.entity('q').messages.size).toBe(0);
    } finally {
      await c.close();
      await timed.close();
    }
  });

  it('dead-letters with reason and description into <queue>/$DeadLetterQueue', async () => {
    await client.createSender('plain').sendMessages({ body: 'bad', messageId: 'dl1' });
    const receiver = client.createReceiver('plain');
    const [msg] = await receiver.receiveMessages(1, fast);
    await receiver.deadLetterMessage(msg!, {
      deadLetterReason: 'MalformedBody',
      deadLetterErrorDescription: 'not JSON',
    });
    const dlq = client.createReceiver('plain', { subQueueType: 'deadLetter' });
    const [dead] = await dlq.receiveMessages(1, fast);
    expect(dead?.messageId).toBe('dl1');
    expect(dead?.deadLetterReason).toBe('MalformedBody');
    expect(dead?.deadLetterErrorDescription).toBe('not JSON');
  });

  it('dead-letters a message after maxDeliveryCount failed deliveries', async () => {
    await client.createSender('plain').sendMessages({ body: 'poison' });
    const receiver = client.createReceiver('plain');
    for (let i = 0; i < 3; i++) {
      const [m] = await receiver.receiveMessages(1, fast);
      await receiver.abandonMessage(m!);
    }
    const [dead] = await client
      .createReceiver('plain', { subQueueType: 'deadLetter' })
      .receiveMessages(1, fast);
    expect(dead?.deadLetterReason).toBe('MaxDeliveryCountExceeded');
  });

  it('defers a message (no longer delivered)', async () => {
    await client.createSender('plain').sendMessages({ body: 'later' });
    const receiver = client.createReceiver('plain');
    const [m] = await receiver.receiveMessages(1, fast);
    await receiver.deferMessage(m!);
    expect(await receiver.receiveMessages(1, { maxWaitTimeInMs: 150 })).toEqual([]);
  });

  it('peeks without locking and schedules messages for later', async () => {
    const sender = client.createSender('plain');
    await sender.sendMessages({ body: 'now' });
    const seqs = await sender.scheduleMessages({ body: 'later' }, new Date(Date.now() + 60_000));
    expect(seqs).toHaveLength(1);
    const receiver = client.createReceiver('plain');
    const peeked = await receiver.peekMessages(10);
    expect(peeked.map((m) => m.body)).toEqual(['now', 'later']);
    const got = await receiver.receiveMessages(10, { maxWaitTimeInMs: 200 });
    expect(got.map((m) => m.body)).toEqual(['now']);
  });

  it('fans a topic message out to every subscription', async () => {
    await client.createSender('events').sendMessages({ body: 'fan' });
    const a = await client.createReceiver('events', 'kvw').receiveMessages(1, fast);
    const b = await client.createReceiver('events', 'other').receiveMessages(1, fast);
    expect([a[0]?.body, b[0]?.body]).toEqual(['fan', 'fan']);
  });

  it('refuses a message without SessionId on a session-enabled queue', async () => {
    await expect(client.createSender('audit').sendMessages({ body: 'x' })).rejects.toThrow(/SessionId/);
  });

  it('locks one session to one receiver, in order, with session state', async () => {
    const sender = client.createSender('audit');
    await sender.sendMessages([
      { body: 1, sessionId: 'kv-a' },
      { body: 2, sessionId: 'kv-b' },
      { body: 3, sessionId: 'kv-a' },
    ]);
    const first = await client.acceptNextSession('audit');
    expect(first.sessionId).toBe('kv-a');
    expect(first.sessionLockedUntilUtc!.getTime()).toBeGreaterThan(Date.now() - 1000);
    await expect(client.acceptSession('audit', 'kv-a')).rejects.toMatchObject({
      code: 'SessionCannotBeLocked',
    });
    const second = await client.acceptNextSession('audit');
    expect(second.sessionId).toBe('kv-b');
    const got = await first.receiveMessages(10, { maxWaitTimeInMs: 200 });
    expect(got.map((m) => m.body)).toEqual([1, 3]);
    await first.setSessionState('cursor-7');
    expect(await first.getSessionState()).toBe('cursor-7');
    await first.renewSessionLock();
    for (const m of got) await first.completeMessage(m);
    await first.close();
    await expect(client.acceptNextSession('audit')).rejects.toMatchObject({
      code: 'SessionCannotBeLocked',
    });
  });

  it('returns a closed session receiver’s unsettled messages to the queue', async () => {
    await client.createSender('audit').sendMessages([{ body: 1, sessionId: 's' }]);
    const r = await client.acceptNextSession('audit');
    const [m] = await r.receiveMessages(1, fast);
    expect(m?.body).toBe(1);
    await r.close();
    const again = await client.acceptSession('audit', 's');
    const [m2] = await again.receiveMessages(1, fast);
    expect(m2?.deliveryCount).toBe(1);
  });
});
