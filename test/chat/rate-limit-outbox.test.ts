import { afterEach, describe, expect, it } from 'vitest';
import { Outbox } from '../../src/alerts/outbox.js';
import { OUTBOX, type OutboxItem } from '../../src/alerts/outbox-item.js';
import { MemoryStore } from '../../src/store/memory-store.js';
import { FakeClock } from '../../src/util/clock.js';
import { type SlackHarness, startSlackHarness } from './slack-helpers.js';
import { CHANNEL, startTeamsHarness, type TeamsHarness } from './teams-helpers.js';
import { TriageHandler } from './triage-handler.js';

/**
 * 429 + Retry-After from the real chat service client, through the real Outbox: the card waits exactly as
 * long as the service asked (not the outbox's own 1 s first back-off), nothing is sent meanwhile, and it is
 * posted once afterwards.
 */
const RETRY_AFTER_S = 30;
let slack: SlackHarness | undefined;
let teams: TeamsHarness | undefined;

afterEach(async () => {
  await slack?.close();
  await teams?.close();
  slack = undefined;
  teams = undefined;
});

async function waitingItem(store: MemoryStore): Promise<OutboxItem | undefined> {
  return (await store.list<OutboxItem>(OUTBOX))[0]?.value;
}

describe('a 429 from the chat service holds the card in the outbox until Retry-After', () => {
  it('Slack: chat.postMessage 429 → no call before Retry-After, then one post', async () => {
    const clock = new FakeClock(Date.parse('2026-01-12T09:00:00Z'));
    const handler = new TriageHandler();
    slack = await startSlackHarness(handler, { clock });
    const store = new MemoryStore();
    const outbox = new Outbox({ store, clock, surfaces: [slack.runtime.surface] });
    const posts = () => slack!.fake.calls.filter((c) => c.method === 'chat.postMessage');

    slack.fake.rateLimit('chat.postMessage', RETRY_AFTER_S);
    await outbox.publishCard('a1', { surface: 'slack', channel: 'C0SEC' }, handler.card('a1'), 1);
    await outbox.drain();
    expect(posts().map((c) => c.status)).toEqual([429]);
    expect((await waitingItem(store))?.nextAttemptMs).toBe(clock.now() + RETRY_AFTER_S * 1000);

    clock.advance(RETRY_AFTER_S * 1000 - 1000);
    await outbox.drain();
    expect(posts()).toHaveLength(1);
    expect(slack.fake.messages.size).toBe(0);

    clock.advance(1000);
    expect(await outbox.drain()).toBe(0);
    expect(posts().map((c) => c.status)).toEqual([429, 200]);
    expect(slack.fake.messages.size).toBe(1);
    expect(await outbox.location('a1', 'slack')).toMatchObject({ channel: 'C0SEC' });
  });

  it('Slack: chat.update 429 → the edit waits for Retry-After and then lands on the same message', async () => {
    const clock = new FakeClock(Date.parse('2026-01-12T09:00:00Z'));
    const handler = new TriageHandler();
    slack = await startSlackHarness(handler, { clock });
    const store = new MemoryStore();
    const outbox = new Outbox({ store, clock, surfaces: [slack.runtime.surface] });
    await outbox.publishCard('a1', { surface: 'slack', channel: 'C0SEC' }, handler.card('a1'), 1);
    await outbox.drain();
    const location = await outbox.location('a1', 'slack');

    slack.fake.rateLimit('chat.update', RETRY_AFTER_S);
    await outbox.publishCard('a1', { surface: 'slack', channel: 'C0SEC' }, handler.card('a1'), 2);
    await outbox.drain();
    clock.advance(RETRY_AFTER_S * 1000 - 1000);
    await outbox.drain();
    expect(slack.fake.calls.filter((c) => c.method === 'chat.update').map((c) => c.status)).toEqual([429]);

    clock.advance(1000);
    expect(await outbox.drain()).toBe(0);
    expect(slack.fake.message('C0SEC', location?.messageId ?? '')?.updates).toBe(1);
    expect(slack.fake.messages.size).toBe(1);
  });

  it('Teams: connector 429 → no request before Retry-After, then one post', async () => {
    const clock = new FakeClock(Date.parse('2026-01-12T09:00:00Z'));
    const handler = new TriageHandler();
    teams = await startTeamsHarness(handler, { allowUnauthenticatedLocalDev: true, clock });
    const store = new MemoryStore();
    const outbox = new Outbox({ store, clock, surfaces: [teams.runtime.surface] });

    teams.connector.rateLimit(RETRY_AFTER_S);
    await outbox.publishCard('a1', { surface: 'teams', channel: CHANNEL }, handler.card('a1'), 1);
    await outbox.drain();
    expect(teams.connector.requests.map((r) => r.status)).toEqual([429]);
    expect((await waitingItem(store))?.nextAttemptMs).toBe(clock.now() + RETRY_AFTER_S * 1000);

    clock.advance(RETRY_AFTER_S * 1000 - 1000);
    await outbox.drain();
    expect(teams.connector.requests).toHaveLength(1);

    clock.advance(1000);
    expect(await outbox.drain()).toBe(0);
    expect(teams.connector.activities).toHaveLength(1);
    expect(await outbox.location('a1', 'teams')).toMatchObject({ channel: CHANNEL });
  });
});
