import type { CardLocation, CardMessage, SurfaceName } from '../chat/chat-surface.js';
import type { PagerDutyEvent } from './pagerduty.js';

/**
 * Outbox documents (collection `outbox`). One document per pending delivery, keyed so that enqueuing
 * the same thing twice is a no-op:
 *  - `${subject}|${surface}|post`   post a card (holds the latest card until it is posted)
 *  - `${subject}|${surface}|update` edit the posted card (coalesced: only the newest card is kept)
 *  - `${subject}|${surface}|text|${key}` a plain text message (escalation mentions)
 *  - `${subject}|pagerduty|${key}`  a PagerDuty Events v2 event (routing key added at send time)
 * Items of one lane are delivered strictly in `seq` order (a card's post before its updates,
 * PagerDuty trigger before acknowledge before resolve); lanes are independent.
 */
export type OutboxItem = CardItem | TextItem | PagerDutyItem;

interface ItemBase {
  readonly subjectId: string;
  readonly lane: string;
  /** Sortable enqueue order within the lane. */
  readonly seq: string;
  readonly enqueuedMs: number;
  readonly attempts: number;
  readonly nextAttemptMs: number;
  /** A worker owns the item until then (so two replicas do not deliver it twice). */
  readonly leaseUntilMs?: number;
  readonly lastError?: string;
}

export interface CardItem extends ItemBase {
  readonly kind: 'post-card' | 'update-card';
  readonly surface: SurfaceName;
  readonly channel: string;
  readonly message: CardMessage;
  /** The subject's version this card shows; older cards never overwrite newer ones. */
  readonly cardVersion: number;
}

export interface TextItem extends ItemBase {
  readonly kind: 'post-text';
  readonly surface: SurfaceName;
  readonly channel: string;
  readonly text: string;
}

export interface PagerDutyItem extends ItemBase {
  readonly kind: 'pagerduty';
  readonly event: PagerDutyEvent;
}

/** Collection `cards`: where a subject's card was posted on one surface, and which version it shows. */
export interface PostedCard extends CardLocation {
  readonly cardVersion: number;
}

export const OUTBOX = 'outbox';
export const OUTBOX_DEAD = 'outbox-dead';
export const CARDS = 'cards';

export function cardKey(subjectId: string, surface: SurfaceName): string {
  return `${subjectId}|${surface}`;
}

/** Where the item goes, for metrics labels and logs. */
export function targetOf(item: OutboxItem): string {
  return item.kind === 'pagerduty' ? 'pagerduty' : item.surface;
}
