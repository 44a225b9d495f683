import { ServiceBusClient } from '@azure/service-bus';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { IntakePipeline } from '../../src/ingest/pipeline.js';
import { entityRef } from '../../src/ingest/service-bus/entity.js';
import { ServiceBusListener } from '../../src/ingest/service-bus/service-bus-listener.js';
import { silentLogger } from '../../src/util/logger.js';
import { FakeServiceBus } from '../fakes/amqp-broker.js';
import { buildNotice, buildRecord, toCloudEvent, toEventGrid, toJsonLines } from '../fixtures/records.js';
import { FlakyPipeline, intakeStack, RecordingPipeline, until } from './helpers/intake-stack.js';

const T0 = Date.parse('2025-06-02T11:06:02Z');
let bus: FakeServiceBus;
const clients: ServiceBusClient[] = [];
const listeners: ServiceBusListener[] = [];

beforeEach(async () => {
  bus = await FakeServiceBus.start({
    queues: [
      { name: 'audit', sessions: true, lockDurationMs: 600 },
      { name: 'plain', lockDurationMs: 600, maxDeliveryCount: 10 },
      { name: 'eventgrid', lockDurationMs: 600 },
    ],
  });
});

afterEach(async () => {
  for (const l of listeners.splice(0)) await l.stop();
  for (const c of clients.splice(0)) await c.close();
  await bus.close();
});

function client(): ServiceBusClient {
  const c = new ServiceBusClient(bus.connectionString);
  clients.push(c);
  return c;
}

function listen(
  pipeline: IntakePipeline,
  entity: 'audit' | 'plain' | 'eventgrid',
  options: Partial<ConstructorParameters<typeof ServiceBusListener>[0]> = {},
): ServiceBusListener {
  const l = new ServiceBusListener({
    client: options.client ?? client(),
    entities: [
      entityRef({
        queue: entity,
        sessions: entity === 'audit',
        kind: entity === 'eventgrid' ? 'event-grid' : 'audit',
      }),
    ],
    pipeline,
    logger: silentLogger,
    concurrency: 2,
    maxLockRenewalMs: 60_000,
    sessionIdleMs: 300,
    sessionRetryMs: 50,
    abandonBaseMs: 20,
    abandonMaxMs: 100,
    ...options,
  });
  listeners.push(l);
  l.start();
  return l;
}

/** A purge (destructive-operation) and a later read that moves the watermark past the lateness. */
function purgeBody(): string {
  return JSON.stringify({
    records: [buildRecord({ preset: 'secretPurge', at: T0 }), buildRecord({ at: T0 + 5 * 60_000 })],
  });
}

describe('Service Bus listener', () => {
  it('turns the same records delivered twice into one alert and one card', async () => {
    const stack = intakeStack();
    const sender = client().createSender('plain');
    await sender.sendMessages({ body: purgeBody(), messageId: 'first' });
    await sender.sendMessages({ body: purgeBody(), messageId: 'second' });
    listen(stack.pipeline, 'plain');
    await until(() => bus.entity('plain').messages.size === 0, 10_000, 'both messages completed');
    await stack.outbox.drain();
    const alerts = await stack.alerts();
    expect(alerts.map((a) => a.rule)).toEqual(['destructive-operation']);
    expect(stack.cards()).toHaveLength(1);
  });

  it('completes only after the pipeline resolved: killed after persisting, the message is redelivered without a second card', async () => {
    const stack = intakeStack();
    let persisted = 0;
    const killedAfterPersist: IntakePipeline = {
      ingest: async (items, origin) => {
        await stack.pipeline.ingest(items, origin);
        persisted++;
        return new Promise(() => {}); // the process dies here: never completes the message
      },
    };
    await client().createSender('plain').sendMessages({ body: purgeBody(), messageId: 'm' });
    const doomed = new ServiceBusClient(bus.connectionString);
    listen(killedAfterPersist, 'plain', { client: doomed, maxLockRenewalMs: 0 });
    await until(() => persisted === 1, 10_000, 'first pass persisted');
    await doomed.close(); // killed: the message is neither completed nor abandoned
    listeners.splice(0);
    expect(bus.entity('plain').messages.size).toBe(1);

    listen(stack.pipeline, 'plain');
    await until(() => bus.entity('plain').messages.size === 0, 10_000, 'redelivered message completed');
    await stack.outbox.drain();
    expect((await stack.alerts()).map((a) => a.rule)).toEqual(['destructive-operation']);
    expect(stack.cards()).toHaveLength(1);
  });

  it('dead-letters a malformed message with its reason while the next messages are processed', async () => {
    const pipeline = new RecordingPipeline();
    const sender = client().createSender('plain');
    await sender.sendMessages({ body: Buffer.from('this is not json {'), messageId: 'bad' });
    await sender.sendMessages({
      body: JSON.stringify({ records: [buildRecord({ at: T0 })] }),
      messageId: 'good',
    });
    listen(pipeline, 'plain');
    await until(() => bus.entity('plain').messages.size === 0, 10_000, 'queue drained');
    const dlq = [...bus.entity('plain/$DeadLetterQueue').messages.values()];
    expect(dlq.map((m) => m.messageId)).toEqual(['bad']);
    expect(dlq[0]?.message.application_properties?.DeadLetterReason).toBe('MalformedBody');
    expect(String(dlq[0]?.message.application_properties?.DeadLetterErrorDescription)).not.toBe('');
    expect(pipeline.events()).toHaveLength(1);
  });

  it('processes the good records of a partly malformed body and completes it', async () => {
    const pipeline = new RecordingPipeline();
    const body = `${JSON.stringify(buildRecord({ at: T0 }))}\n{"time": broken\n${JSON.stringify(buildRecord({ at: T0 + 1000 }))}\n`;
    await client()
      .createSender('plain')
      .sendMessages({ body: Buffer.from(body), messageId: 'partly' });
    listen(pipeline, 'plain');
    await until(() => bus.entity('plain').messages.size === 0, 10_000, 'message completed');
    expect(pipeline.events()).toHaveLength(2);
    expect(bus.entity('plain/$DeadLetterQueue').messages.size).toBe(0);
  });

  it('abandons on a transient pipeline failure and succeeds on redelivery', async () => {
    const recording = new RecordingPipeline();
    const flaky = new FlakyPipeline(recording);
    flaky.failing = true;
    await client().createSender('plain').sendMessages({ body: purgeBody(), messageId: 'm' });
    listen(flaky, 'plain');
    await until(() => flaky.calls.length >= 2, 10_000, 'a redelivery');
    flaky.failing = false;
    await until(() => bus.entity('plain').messages.size === 0, 10_000, 'message completed');
    expect(recording.events()).toHaveLength(2);
    expect(bus.entity('plain/$DeadLetterQueue').messages.size).toBe(0);
  });

  it('loses nothing during a chat outage: the message completes once alerts are persisted, the card follows later', async () => {
    const stack = intakeStack();
    stack.surface.downUntilMs = Number.POSITIVE_INFINITY;
    await client().createSender('plain').sendMessages({ body: purgeBody(), messageId: 'm' });
    listen(stack.pipeline, 'plain');
    await until(() => bus.entity('plain').messages.size === 0, 10_000, 'message completed');
    await stack.outbox.runOnce();
    expect(stack.cards()).toHaveLength(0);
    expect((await stack.alerts()).map((a) => a.rule)).toEqual(['destructive-operation']);
    stack.surface.downUntilMs = Number.NEGATIVE_INFINITY;
    stack.clock.advance(60_000);
    await stack.outbox.drain();
    expect(stack.cards()).toHaveLength(1);
  });

  it('keeps per-vault order with two concurrent session receivers', async () => {
    const pipeline = new RecordingPipeline();
    let active = 0;
    let maxActive = 0;
    pipeline.gate = async () => {
      active++;
      maxActive = Math.max(maxActive, active);
      await new Promise((r) => setTimeout(r, 30 + Math.random() * 30));
      active--;
    };
    const sender = client().createSender('audit');
    const vaults = ['kv-a', 'kv-b'];
    const perVault = 12;
    for (let i = 0; i < perVault; i++) {
      for (const vault of vaults) {
        const rec = buildRecord({ vault, at: T0 + i * 1000 });
        await sender.sendMessages({ body: JSON.stringify({ records: [rec] }), sessionId: vault });
      }
    }
    listen(pipeline, 'audit', { concurrency: 2, sessionBatch: 3 });
    await until(() => pipeline.events().length === perVault * 2, 15_000, 'all events');
    for (const vault of vaults) {
      const mine = pipeline.accepted.filter((a) => a.origin.vault === vault);
      const times = mine.map((a) => (a.item.kind === 'audit' ? a.item.event.timeMs : 0));
      expect(times).toEqual([...times].sort((x, y) => x - y));
      expect(mine.every((a) => a.item.kind === 'audit' && a.item.event.vault === vault)).toBe(true);
    }
    expect(maxActive).toBe(2);
  });

  it('holds the lock of a long batch by renewing it (no redelivery)', async () => {
    const pipeline = new RecordingPipeline();
    pipeline.gate = () => new Promise((r) => setTimeout(r, 1_500)); // longer than the 600 ms lock
    await client().createSender('plain').sendMessages({ body: purgeBody(), messageId: 'slow' });
    listen(pipeline, 'plain', { maxLockRenewalMs: 60_000 });
    await until(() => bus.entity('plain').messages.size === 0, 10_000, 'message completed');
    expect(pipeline.accepted).toHaveLength(2);
    expect(bus.entity('plain/$DeadLetterQueue').messages.size).toBe(0);
  });

  it('stops gracefully: the in-flight message settles before the receiver closes', async () => {
    const pipeline = new RecordingPipeline();
    let entered = false;
    pipeline.gate = async () => {
      entered = true;
      await new Promise((r) => setTimeout(r, 300));
    };
    await client().createSender('plain').sendMessages({ body: purgeBody(), messageId: 'inflight' });
    const l = listen(pipeline, 'plain');
    await until(() => entered, 10_000, 'message in flight');
    await l.stop();
    expect(bus.entity('plain').messages.size).toBe(0);
    expect(pipeline.accepted).toHaveLength(2);
  });

  it('passes Event Grid and CloudEvents notices (aeg-* properties) to the pipeline and skips control events', async () => {
    const pipeline = new RecordingPipeline();
    const sender = client().createSender('eventgrid');
    const aeg = (id: string) => ({
      'aeg-subscription-name': 'KV-SUB',
      'aeg-delivery-count': '0',
      'aeg-event-type': 'Notification',
      'aeg-metadata-version': '1',
      'aeg-data-version': '1',
      'aeg-output-event-id': id,
    });
    await sender.sendMessages({
      body: toEventGrid(buildNotice({ id: 'n1', type: 'SecretNearExpiry' })),
      applicationProperties: aeg('n1'),
    });
    await sender.sendMessages({
      body: Buffer.from(JSON.stringify(toCloudEvent(buildNotice({ id: 'n2', type: 'KeyNearExpiry' })))),
      applicationProperties: aeg('n2'),
    });
    await sender.sendMessages({
      body: { validationCode: 'x' },
      applicationProperties: { ...aeg('v'), 'aeg-event-type': 'SubscriptionValidation' },
    });
    listen(pipeline, 'eventgrid');
    await until(() => bus.entity('eventgrid').messages.size === 0, 10_000, 'notices completed');
    const notices = pipeline.accepted.flatMap((a) => (a.item.kind === 'notice' ? [a.item.notice] : []));
    expect(notices.map((n) => [n.id, n.type, n.schema])).toEqual([
      ['n1', 'SecretNearExpiry', 'eventgrid'],
      ['n2', 'KeyNearExpiry', 'cloudevents'],
    ]);
    expect(bus.entity('eventgrid/$DeadLetterQueue').messages.size).toBe(0);
  });

  it('counts an access-policy change once: the VaultAccessPolicyChanged notice never feeds the rules', async () => {
    const stack = intakeStack();
    const patchAt = Date.parse('2025-06-02T11:02:10Z');
    await client()
      .createSender('plain')
      .sendMessages({
        body: JSON.stringify({
          records: [
            buildRecord({ preset: 'accessPolicyAdded', at: patchAt }),
            buildRecord({ preset: 'accessPolicyChangedNotification', at: patchAt + 1_200 }),
            buildRecord({ at: patchAt + 10 * 60_000 }),
          ],
        }),
      });
    await client()
      .createSender('eventgrid')
      .sendMessages({
        body: toEventGrid(buildNotice({ id: 'p1', type: 'VaultAccessPolicyChanged', objectType: 'Vault' })),
      });
    listen(stack.pipeline, 'plain');
    listen(stack.pipeline, 'eventgrid');
    await until(
      () => bus.entity('plain').messages.size === 0 && bus.entity('eventgrid').messages.size === 0,
      10_000,
      'both completed',
    );
    await stack.outbox.drain();
    const alerts = await stack.alerts();
    expect(alerts.filter((a) => a.rule === 'access-policy-added')).toHaveLength(1);
    expect(stack.cards()).toHaveLength(alerts.length);
  });
});

describe('JSON Lines bodies from the forwarder', () => {
  it('accepts a JSON Lines body sent as bytes with SessionId = vault', async () => {
    const pipeline = new RecordingPipeline();
    const body = Buffer.from(toJsonLines([buildRecord({ at: T0 }), buildRecord({ at: T0 + 1 })]));
    await client().createSender('audit').sendMessages({ body, sessionId: 'kv-prod-payments' });
    listen(pipeline, 'audit');
    await until(() => pipeline.events().length === 2, 10_000, 'events');
    expect(pipeline.accepted.every((a) => a.origin.vault === 'kv-prod-payments')).toBe(true);
    expect(pipeline.accepted[0]?.origin.source).toBe('servicebus:audit');
  });
});
