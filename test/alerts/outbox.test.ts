import { describe, expect, it } from 'vitest';
import { Outbox } from '../../src/alerts/outbox.js';
import type { PagerDutyEvent, PagerDutySender } from '../../src/alerts/pagerduty.js';
import type { AdaptiveCard, CardMessage } from '../../src/chat/chat-surface.js';
import { UpstreamError } from '../../src/errors.js';
import { MemoryStore } from '../../src/store/memory-store.js';
import { FakeClock } from '../../src/util/clock.js';
import { Metrics } from '../../src/util/metrics.js';
import { FakeChatSurface } from './fake-chat-surface.js';

const CARD: AdaptiveCard = { type: 'AdaptiveCard', version: '1.5', body: [] };
const msg = (subject: string, v: number): CardMessage => ({ card: CARD, text: `${subject} v${v}` });
const route = { surface: 'console', channel: 'security' } as const;

function setup(options: ConstructorParameters<typeof Outbox>[0]['options'] = {}) {
  const clock = new FakeClock();
  const store = new MemoryStore();
  const surface = new FakeChatSurface('console', clock);
  const metrics = new Metrics();
  const outbox = new Outbox({ store, clock, surfaces: [surface], metrics, options });
  return { clock, store, surface, metrics, outbox };
}

/** Advances fake time in steps, delivering whatever is due, until the outbox is empty. */
async function deliverAll(outbox: Outbox, clock: FakeClock, stepMs = 1_000, limitMs = 30 * 60_000) {
  for (let t = 0; t <= limitMs; t += stepMs) {
    if ((await outbox.drain()) === 0) return;
    clock.advance(stepMs);
  }
  throw new Error('outbox did not empty');
}

async function counterValue(metrics: Metrics, name: string, labels: Record<string, string>): Promise<number> {
  const m = (await metrics.registry.getMetricsAsJSON()).find((x) => x.name === name);
  const v = m?.values.find((x) => Object.entries(labels).every(([k, val]) => x.labels[k] === val));
  return Number(v?.value ?? 0);
}

describe('outbox', () => {
  it('posts a card once and later edits that same message', async () => {
    const { outbox, surface, clock } = setup();
    await outbox.publishCard('A-1', route, msg('A-1', 1), 1);
    await outbox.publishCard('A-1', route, msg('A-1', 1), 1); // a repeat
    await deliverAll(outbox, clock);
    await outbox.publishCard('A-1', route, msg('A-1', 1), 1); // a repeat after delivery
    await outbox.publishCard('A-1', route, msg('A-1', 2), 2);
    await deliverAll(outbox, clock);
    expect(surface.messages.size).toBe(1);
    const loc = await outbox.location('A-1', 'console');
    expect(surface.messages.get(loc?.messageId ?? '')?.texts).toEqual(['A-1 v1', 'A-1 v2']);
  });

  it('never lets an older card overwrite a newer one', async () => {
    const { outbox, surface, clock } = setup();
    await outbox.publishCard('A-1', route, msg('A-1', 1), 1);
    await deliverAll(outbox, clock);
    await outbox.publishCard('A-1', route, msg('A-1', 3), 3);
    await outbox.publishCard('A-1', route, msg('A-1', 2), 2);
    await deliverAll(outbox, clock);
    expect([...surface.messages.values()][0]?.texts).toEqual(['A-1 v1', 'A-1 v3']);
  });

  it('survives a 30 s outage (503s and 429s with Retry-After): every card posted exactly once, updates in order', async () => {
    const { outbox, surface, clock, metrics } = setup();
    surface.downUntilMs = clock.now() + 30_000;
    surface.throttleEvery = 3;
    const subjects = Array.from({ length: 40 }, (_, i) => `A-${String(i).padStart(3, '0')}`);
    for (const s of subjects) await outbox.publishCard(s, route, msg(s, 1), 1);
    // Changes keep coming during the outage.
    for (let v = 2; v <= 4; v++) {
      await outbox.drain();
      clock.advance(7_000);
      for (const s of subjects) await outbox.publishCard(s, route, msg(s, v), v);
    }
    expect(surface.failures).toBeGreaterThan(0);
    await deliverAll(outbox, clock, 500);
    expect(surface.messages.size).toBe(subjects.length);
    for (const s of subjects) {
      const [m, ...dupes] = surface.messagesFor(`${s} `);
      expect(dupes).toEqual([]);
      const versions = (m?.texts ?? []).map((t) => Number(t.split(' v')[1]));
      expect(versions.at(-1)).toBe(4);
      expect(versions).toEqual([...versions].sort((a, b) => a - b));
      expect(new Set(versions).size).toBe(versions.length);
    }
    expect(await counterValue(metrics, 'kvwarden_cards_posted_total', { kind: 'post' })).toBe(
      subjects.length,
    );
    expect(await counterValue(metrics, 'kvwarden_post_failures_total', { surface: 'console' })).toBe(
      surface.failures,
    );
    expect(await outbox.depth()).toBe(0);
  });

  it('honours Retry-After: no retry before the time the service asked for', async () => {
    const { outbox, surface, clock } = setup({ baseDelayMs: 100 });
    surface.downUntilMs = clock.now() + 1; // fails once
    surface.throttleEvery = 1;
    surface.retryAfterMs = 20_000;
    await outbox.publishCard('A-1', route, msg('A-1', 1), 1);
    await outbox.drain();
    expect(surface.calls).toBe(1);
    clock.advance(19_999);
    await outbox.drain();
    expect(surface.calls).toBe(1);
    clock.advance(1);
    await outbox.drain();
    expect(surface.calls).toBe(2);
    expect(surface.messages.size).toBe(1);
  });

  it('backs off exponentially without Retry-After', async () => {
    const { outbox, surface, clock } = setup({ baseDelayMs: 1_000 });
    surface.downUntilMs = clock.now() + 10 * 60_000;
    await outbox.publishCard('A-1', route, msg('A-1', 1), 1);
    const attemptsAt: number[] = [];
    const start = clock.now();
    for (let t = 0; t < 40_000; t += 250) {
      const before = surface.calls;
      await outbox.drain();
      if (surface.calls > before) attemptsAt.push(clock.now() - start);
      clock.advance(250);
    }
    expect(attemptsAt).toEqual([0, 1_000, 3_000, 7_000, 15_000, 31_000]);
  });

  it('applies an update queued while the post is in flight after the post completes', async () => {
    const { outbox, surface, clock } = setup();
    let open: () => void = () => {};
    surface.gate = new Promise<void>((r) => {
      open = r;
    });
    await outbox.publishCard('A-1', route, msg('A-1', 1), 1);
    const inFlight = outbox.drain();
    await new Promise((r) => setTimeout(r, 5));
    await outbox.publishCard('A-1', route, msg('A-1', 2), 2);
    open();
    await inFlight;
    surface.gate = undefined;
    await deliverAll(outbox, clock);
    expect(surface.messages.size).toBe(1);
    expect([...surface.messages.values()][0]?.texts).toEqual(['A-1 v1', 'A-1 v2']);
  });

  it('posts 500 alerts as 500 cards', async () => {
    const { outbox, surface, clock, metrics } = setup({ concurrency: 16 });
    for (let i = 0; i < 500; i++) await outbox.publishCard(`A-${i}`, route, msg(`A-${i}`, 1), 1);
    expect(await outbox.depth()).toBe(500);
    await deliverAll(outbox, clock);
    expect(surface.messages.size).toBe(500);
    expect(await counterValue(metrics, 'kvwarden_cards_posted_total', { kind: 'post' })).toBe(500);
    expect(await counterValue(metrics, 'kvwarden_outbox_depth', {})).toBe(0);
  });

  it('two replicas sharing one store post each card once', async () => {
    const clock = new FakeClock();
    const store = new MemoryStore();
    const surface = new FakeChatSurface('console', clock);
    const a = new Outbox({ store, clock, surfaces: [surface] });
    const b = new Outbox({ store, clock, surfaces: [surface] });
    for (let i = 0; i < 50; i++) await a.publishCard(`A-${i}`, route, msg(`A-${i}`, 1), 1);
    await Promise.all([a.drain(), b.drain(), a.drain(), b.drain()]);
    expect(surface.messages.size).toBe(50);
  });

  it('retries recording the card location so a store hiccup after a post does not post twice', async () => {
    const { outbox, surface, clock, store } = setup();
    const realCreate = store.create.bind(store);
    let failOnce = true;
    store.create = async (collection, id, value) => {
      if (collection === 'cards' && failOnce) {
        failOnce = false;
        throw new Error('store briefly unavailable');
      }
      return realCreate(collection, id, value);
    };
    await outbox.publishCard('A-1', route, msg('A-1', 1), 1);
    await deliverAll(outbox, clock);
    expect(surface.messages.size).toBe(1);
    expect(await outbox.location('A-1', 'console')).toMatchObject({
      surface: 'console',
      channel: 'security',
    });
  });

  it('dead-letters an item that keeps failing with a non-transient error', async () => {
    const clock = new FakeClock();
    const store = new MemoryStore();
    const surface = new FakeChatSurface('console', clock);
    surface.postText = async () => {
      throw new UpstreamError('channel_not_found', { transient: false });
    };
    const outbox = new Outbox({ store, clock, surfaces: [surface], options: { maxAttempts: 3 } });
    await outbox.enqueueText('A-1', route, 'hello', 'escalate-1');
    await deliverAll(outbox, clock);
    expect(await store.list('outbox-dead')).toHaveLength(1);
  });

  it('delivers PagerDuty events of one alert in order even when the first is throttled', async () => {
    const clock = new FakeClock();
    const store = new MemoryStore();
    const sent: string[] = [];
    let throttled = false;
    const pagerDuty: PagerDutySender = {
      async send(e: PagerDutyEvent) {
        if (!throttled) {
          throttled = true;
          throw new UpstreamError('429', { throttled: true, retryAfterMs: 3_000 });
        }
        sent.push(e.event_action);
      },
    };
    const outbox = new Outbox({ store, clock, surfaces: [], pagerDuty });
    await outbox.enqueuePagerDuty('A-1', { event_action: 'trigger', dedup_key: 'A-1' }, 'trigger-2');
    clock.advance(1);
    await outbox.enqueuePagerDuty('A-1', { event_action: 'acknowledge', dedup_key: 'A-1' }, 'acknowledge-3');
    clock.advance(1);
    await outbox.enqueuePagerDuty('A-1', { event_action: 'resolve', dedup_key: 'A-1' }, 'resolve-4');
    await outbox.enqueuePagerDuty('A-1', { event_action: 'resolve', dedup_key: 'A-1' }, 'resolve-4'); // repeat
    await deliverAll(outbox, clock);
    expect(sent).toEqual(['trigger', 'acknowledge', 'resolve']);
  });

  it('the background worker delivers without drain calls and stops cleanly', async () => {
    const { outbox, surface } = setup();
    outbox.start();
    await outbox.publishCard('A-1', route, msg('A-1', 1), 1);
    for (let i = 0; i < 100 && surface.messages.size === 0; i++) await new Promise((r) => setTimeout(r, 10));
    await outbox.stop();
    expect(surface.messages.size).toBe(1);
  });
});
