import type { Client as ApiClient } from '@microsoft/teams.api';
import type { Directory } from '../../config/directory.js';
import type { Store } from '../../store/store.js';
import type { Clock } from '../../util/clock.js';
import type { AdaptiveCard, CardLocation, CardMessage, ChatSurface } from '../chat-surface.js';
import { readOnlyView, withRefresh } from './card-views.js';
import { baseConversationId, findConversation } from './conversation-refs.js';
import { toUpstreamError } from './teams-errors.js';

export const ADAPTIVE_CARD = 'application/vnd.microsoft.card.adaptive';
/** Last full (actionable) card per posted message, served to users whose client refreshes it. */
export const TEAMS_CARDS = 'teams-cards';

export interface PostedCard {
  readonly card: AdaptiveCard;
  readonly updatedAt: string;
}

export interface TeamsSurfaceDeps {
  /** A connector client for a service URL (carries the bot token). */
  readonly apiFor: (serviceUrl: string) => ApiClient;
  readonly store: Store;
  readonly directory: Directory;
  /** Where to post when the conversation was never recorded (the public Teams service). */
  readonly defaultServiceUrl: string;
  readonly clock: Clock;
}

/**
 * Teams as a ChatSurface, over the Bot Framework connector. Everyone sees a read-only view of
 * each card; people who may act (responders, approvers) are listed in `refresh.userIds`, so their
 * Teams client fetches the actionable card from us (Universal Actions user-specific views).
 * Updates replace the activity in place. 429 becomes UpstreamError with Retry-After.
 */
export class TeamsSurface implements ChatSurface {
  readonly name = 'teams' as const;

  constructor(private readonly deps: TeamsSurfaceDeps) {}

  async postCard(channel: string, message: CardMessage): Promise<CardLocation> {
    const conversationId = baseConversationId(channel);
    const api = await this.apiForConversation(conversationId);
    let res: { id: string };
    try {
      res = await api.conversations.activities(conversationId).create(this.activity(message));
    } catch (err) {
      throw toUpstreamError('post card', err, this.deps.clock.now());
    }
    await this.remember(conversationId, res.id, message.card);
    return { surface: 'teams', channel: conversationId, messageId: res.id };
  }

  async updateCard(location: CardLocation, message: CardMessage): Promise<void> {
    const conversationId = baseConversationId(location.channel);
    const api = await this.apiForConversation(conversationId);
    // Remember first: the edit makes refreshing clients ask for the new card at once.
    await this.remember(conversationId, location.messageId, message.card);
    try {
      await api.conversations.activities(conversationId).update(location.messageId, this.activity(message));
    } catch (err) {
      throw toUpstreamError('update card', err, this.deps.clock.now());
    }
  }

  async postText(channel: string, text: string): Promise<void> {
    const conversationId = baseConversationId(channel);
    const api = await this.apiForConversation(conversationId);
    try {
      await api.conversations.activities(conversationId).create({ type: 'message', text });
    } catch (err) {
      throw toUpstreamError('post text', err, this.deps.clock.now());
    }
  }

  /** The actionable card last posted as `activityId`, for refresh invokes. */
  async postedCard(conversationId: string, activityId: string): Promise<AdaptiveCard | undefined> {
    const doc = await this.deps.store.get<PostedCard>(TEAMS_CARDS, cardKey(conversationId, activityId));
    return doc?.value.card;
  }

  /**
   * Teams user ids (MRIs) of people who may act on cards: their clients refresh to the actionable
   * view. The MRI Teams sent us for that person (`from.id`) is used once seen; before that the
   * AAD form `8:orgid:<object id>`.
   */
  refreshUserIds(): string[] {
    const { directory } = this.deps;
    return directory
      .all()
      .filter((p) => p.teams && directory.rolesOf(p).some((r) => r === 'responder' || r === 'approver'))
      .map((p) => {
        const aad = (p.teams ?? '').toLowerCase();
        return this.knownMris.get(aad) ?? `8:orgid:${aad}`;
      });
  }

  /** Remembers the MRI Teams uses for an AAD user (from any activity they sent). */
  noteUser(aadObjectId: string, mri: string): void {
    if (/^(29|8):[A-Za-z0-9:._-]{1,200}$/.test(mri)) this.knownMris.set(aadObjectId.toLowerCase(), mri);
  }

  private readonly knownMris = new Map<string, string>();

  /** The card as everyone sees it: read-only, refreshing to the actionable view for those who may act. */
  sharedView(card: AdaptiveCard): AdaptiveCard {
    return withRefresh(readOnlyView(card), this.refreshUserIds());
  }

  private activity(message: CardMessage) {
    return {
      type: 'message' as const,
      summary: message.text,
      attachments: [{ contentType: ADAPTIVE_CARD, content: this.sharedView(message.card) }],
    };
  }

  private async remember(conversationId: string, activityId: string, card: AdaptiveCard): Promise<void> {
    const { store, clock } = this.deps;
    const id = cardKey(conversationId, activityId);
    const value: PostedCard = { card, updatedAt: new Date(clock.now()).toISOString() };
    for (let attempt = 0; attempt < 5; attempt++) {
      const current = await store.get<PostedCard>(TEAMS_CARDS, id);
      try {
        if (!current) {
          if (await store.create(TEAMS_CARDS, id, value)) return;
        } else {
          await store.update(TEAMS_CARDS, id, value, current.version);
          return;
        }
      } catch (err) {
        if ((err as { code?: string }).code !== 'KVW_CONFLICT') throw err;
      }
    }
  }

  private async apiForConversation(conversationId: string): Promise<ApiClient> {
    const ref = await findConversation(this.deps.store, conversationId);
    return this.deps.apiFor(ref?.serviceUrl ?? this.deps.defaultServiceUrl);
  }
}

function cardKey(conversationId: string, activityId: string): string {
  return `${baseConversationId(conversationId)}|${activityId}`;
}
