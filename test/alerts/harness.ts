import { AlertService } from '../../src/alerts/alert-service.js';
import { Outbox } from '../../src/alerts/outbox.js';
import type { PagerDutySender } from '../../src/alerts/pagerduty.js';
import type { ChatActor } from '../../src/chat/chat-surface.js';
import { Directory } from '../../src/config/directory.js';
import { type Config, loadConfig } from '../../src/config/load.js';
import { MemoryStore } from '../../src/store/memory-store.js';
import { FakeClock } from '../../src/util/clock.js';
import { Metrics } from '../../src/util/metrics.js';
import { FakeChatSurface } from './fake-chat-surface.js';

export const PEOPLE_YAML = `
people:
  alice: { slack: U01ALICE, displayName: Alice }
  bob: { slack: U02BOB, displayName: Bob }
  carol: { slack: U03CAROL, displayName: Carol }
  dave: { slack: U04DAVE, displayName: Dave }
roles:
  responder: [alice, bob]
  approver: [carol]
  viewer: [alice, bob, carol, dave]
vaults:
  kv-dev:
    roles: { responder: [dave] }
`;

export const ALICE: ChatActor = { surface: 'slack', userId: 'U01ALICE' };
export const BOB: ChatActor = { surface: 'slack', userId: 'U02BOB' };
export const CAROL: ChatActor = { surface: 'slack', userId: 'U03CAROL' };
export const DAVE: ChatActor = { surface: 'slack', userId: 'U04DAVE' };
export const STRANGER: ChatActor = { surface: 'slack', userId: 'U09NOBODY' };

/** An alert service over a MemoryStore, a FakeClock and fake slack + console surfaces. */
export function harness(
  options: {
    yaml?: string;
    env?: Record<string, string>;
    pagerDuty?: PagerDutySender;
    store?: MemoryStore;
    clock?: FakeClock;
  } = {},
) {
  const config: Config = loadConfig({
    env: options.env ?? {},
    text: `${PEOPLE_YAML}\n${options.yaml ?? ''}`,
  });
  const clock = options.clock ?? new FakeClock(Date.parse('2025-06-02T14:00:00Z'));
  const store = options.store ?? new MemoryStore();
  const slack = new FakeChatSurface('slack', clock);
  const consoleSurface = new FakeChatSurface('console', clock);
  const metrics = new Metrics();
  const outbox = new Outbox({
    store,
    clock,
    surfaces: [slack, consoleSurface],
    metrics,
    ...(options.pagerDuty && { pagerDuty: options.pagerDuty }),
  });
  const directory = new Directory(config);
  const service = new AlertService({ store, clock, config, directory, outbox, metrics });
  return { config, clock, store, slack, console: consoleSurface, metrics, outbox, directory, service };
}

/** Delivers everything due, advancing fake time, until the outbox is empty. */
export async function deliverAll(outbox: Outbox, clock: FakeClock, stepMs = 1_000, limitMs = 30 * 60_000) {
  for (let t = 0; t <= limitMs; t += stepMs) {
    if ((await outbox.drain()) === 0) return;
    clock.advance(stepMs);
  }
  throw new Error('outbox did not empty');
}
