import type { ChatSurface, SurfaceName } from '../chat/chat-surface.js';
import { UpstreamError } from '../errors.js';
import type { Store } from '../store/store.js';
import type { Clock } from '../util/clock.js';
import type { Metrics } from '../util/metrics.js';
import { CARDS, cardKey, type OutboxItem, type PostedCard } from './outbox-item.js';
import type { PagerDutySender } from './pagerduty.js';

/** What delivering one outbox item needs. */
export interface DeliveryDeps {
  readonly store: Store;
  readonly clock: Clock;
  readonly surfaces: ReadonlyMap<SurfaceName, ChatSurface>;
  readonly pagerDuty?: PagerDutySender | undefined;
  readonly metrics?: Metrics | undefined;
}

/**
 * Delivers one item. A card is posted only when no location is recorded for it; otherwise the
 * recorded message is edited (and only with a newer version than it shows).
 */
export async function deliverItem(deps: DeliveryDeps, item: OutboxItem): Promise<void> {
  if (item.kind === 'pagerduty') {
    if (!deps.pagerDuty) throw new UpstreamError('PagerDuty is not configured', { transient: false });
    await deps.pagerDuty.send(item.event);
    return;
  }
  const surface = deps.surfaces.get(item.surface);
  if (!surface) throw new UpstreamError(`surface ${item.surface} is not running`, { transient: false });
  if (item.kind === 'post-text') {
    await surface.postText(item.channel, item.text);
    return;
  }
  const key = cardKey(item.subjectId, item.surface);
  const posted = await deps.store.get<PostedCard>(CARDS, key);
  if (posted) {
    // Already posted (possibly by a post item whose card was replaced in flight): edit, never repost.
    if (posted.value.cardVersion >= item.cardVersion) return;
    const { surface: s, channel, messageId } = posted.value;
    await surface.updateCard({ surface: s, channel, messageId }, item.message);
    deps.metrics?.cardsPosted.inc({ surface: item.surface, kind: 'update' });
    await recordPosted(deps.store, key, { surface: s, channel, messageId, cardVersion: item.cardVersion });
    return;
  }
  if (item.kind === 'update-card') return; // nothing posted to edit (the route never got a post)
  const location = await surface.postCard(item.channel, item.message);
  deps.metrics?.cardsPosted.inc({ surface: item.surface, kind: 'post' });
  deps.metrics?.deliveryLatency.observe(Math.max(0, deps.clock.now() - item.enqueuedMs) / 1000);
  await recordPosted(deps.store, key, { ...location, cardVersion: item.cardVersion });
}

/**
 * Records where a card is, retrying a few times at once: if this never succeeds, the post item
 * stays and the card is posted again later (the at-least-once edge, kept as narrow as possible).
 */
export async function recordPosted(store: Store, key: string, posted: PostedCard): Promise<void> {
  let lastErr: unknown;
  for (let i = 0; i < 5; i++) {
    try {
      const current = await store.get<PostedCard>(CARDS, key);
      if (!current) {
        if (await store.create(CARDS, key, posted)) return;
        continue;
      }
      if (current.value.cardVersion >= posted.cardVersion) return;
      await store.update(CARDS, key, posted, current.version);
      return;
    } catch (err) {
      lastErr = err;
    }
  }
  throw lastErr ?? new Error(`could not record card location ${key}`);
}
