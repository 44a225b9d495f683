import type { App } from '@microsoft/teams.apps';
import type { Directory } from '../../config/directory.js';
import { userMessageFor } from '../../errors.js';
import type { Store } from '../../store/store.js';
import type { Clock } from '../../util/clock.js';
import type { Logger } from '../../util/logger.js';
import type { AdaptiveCard, ChatActor, ChatHandler, CommandReply } from '../chat-surface.js';
import { rolesToActOn } from './card-roles.js';
import { isRefreshVerb, privateReplyView, REFRESH_VERB, vaultOf, withRefresh } from './card-views.js';
import { baseConversationId, forgetConversation, recordConversation } from './conversation-refs.js';
import { ADAPTIVE_CARD, type TeamsSurface } from './teams-surface.js';

export interface TeamsHandlerDeps {
  readonly handler: ChatHandler;
  readonly surface: TeamsSurface;
  readonly store: Store;
  readonly directory: Directory;
  readonly logger: Logger;
  readonly clock: Clock;
}

interface InboundActivity {
  readonly serviceUrl?: string;
  readonly conversation?: { id?: string; conversationType?: string; tenantId?: string; name?: string };
  readonly channelData?: { tenant?: { id?: string }; team?: { id?: string } };
  readonly recipient?: { id?: string };
  readonly from?: { id?: string; aadObjectId?: string; name?: string };
  readonly replyToId?: string;
}

/**
 * Wires the Teams SDK's routes to kv-warden: installation records the conversation for routing,
 * messages (mentions stripped by the CommandRouter) run `/kv` commands, and `adaptiveCard/action`
 * invokes run card actions (or serve a user's refreshed view) and answer with the card to show.
 */
export function registerTeamsHandlers(app: App, deps: TeamsHandlerDeps): void {
  const { handler, surface, store, directory, logger, clock } = deps;

  const remember = async (activity: InboundActivity) => {
    if (activity.from?.aadObjectId && activity.from.id)
      surface.noteUser(activity.from.aadObjectId, activity.from.id);
    const conversationId = activity.conversation?.id;
    if (!conversationId || !activity.serviceUrl) return;
    const tenantId = activity.conversation?.tenantId ?? activity.channelData?.tenant?.id;
    const teamId = activity.channelData?.team?.id;
    await recordConversation(store, {
      conversationId,
      serviceUrl: activity.serviceUrl,
      updatedAt: new Date(clock.now()).toISOString(),
      ...(tenantId && { tenantId }),
      ...(teamId && { teamId }),
      ...(activity.conversation?.conversationType && {
        conversationType: activity.conversation.conversationType,
      }),
      ...(activity.conversation?.name && { name: activity.conversation.name }),
      ...(activity.recipient?.id && { botId: activity.recipient.id }),
    });
  };

  app.on('installationUpdate', async ({ activity }) => {
    const a = activity as InboundActivity & { action?: string };
    if (a.action?.startsWith('remove') && a.conversation?.id)
      await forgetConversation(store, a.conversation.id);
    else await remember(a);
  });

  app.on('conversationUpdate', async ({ activity }) => {
    const a = activity as InboundActivity & {
      membersAdded?: { id: string }[];
      membersRemoved?: { id: string }[];
    };
    const botId = a.recipient?.id;
    if (botId && a.membersRemoved?.some((m) => m.id === botId) && a.conversation?.id) {
      await forgetConversation(store, a.conversation.id);
      return;
    }
    await remember(a);
  });

  app.on('message', async ({ activity, send }) => {
    const a = activity as InboundActivity & { text?: string };
    await remember(a);
    const actor = actorOf(a);
    let reply: CommandReply;
    try {
      reply = await handler.handleCommand(actor, a.text ?? '');
    } catch (err) {
      logger.warn({ err, user: actor.userId }, 'teams command failed');
      reply = { text: userMessageFor(err) };
    }
    if (reply.card) {
      await send({
        type: 'message',
        summary: reply.card.text,
        attachments: [{ contentType: ADAPTIVE_CARD, content: reply.card.card }],
      });
    } else {
      await send({ type: 'message', text: reply.text ?? ' ' });
    }
  });

  app.on('card.action', async ({ activity }) => {
    const a = activity as InboundActivity & { value?: { action?: { verb?: unknown; data?: unknown } } };
    await remember(a);
    const actor = actorOf(a);
    const verb = a.value?.action?.verb;
    const data = a.value?.action?.data ?? {};
    if (
      typeof verb !== 'string' ||
      verb === '' ||
      typeof data !== 'object' ||
      data === null ||
      Array.isArray(data)
    ) {
      return badRequest('This card action is not one kv-warden understands.');
    }
    const conversationId = baseConversationId(a.conversation?.id ?? '');
    const messageId = a.replyToId;

    const record = data as Record<string, unknown>;
    /** The card for this user: actionable for people who may act on it, read-only otherwise. */
    const viewFor = (card: AdaptiveCard): AdaptiveCard => {
      const person = directory.find(actor);
      const vault = vaultOf(card);
      // The roles the card's buttons need (responder for alerts, approver for rotations, …), for the
      // card's vault; a card that names no vault falls back to roles held anywhere. The click itself
      // is authorised exactly by the feature that owns the verb.
      const mayAct =
        person !== undefined &&
        rolesToActOn(card).some((role) =>
          vault ? directory.hasRole(person, role, vault) : directory.rolesOf(person).includes(role),
        );
      return mayAct ? withRefresh(card, surface.refreshUserIds()) : surface.sharedView(card);
    };

    try {
      if (isRefreshVerb(verb)) {
        // The card's own refresh verb re-renders from current state; ours serves the last posted card.
        const current =
          verb === REFRESH_VERB
            ? undefined
            : (await handler.handleAction(actor, { verb, data: record })).card?.card;
        const card = current ?? (messageId ? await surface.postedCard(conversationId, messageId) : undefined);
        if (!card) return message('This card is no longer tracked by kv-warden.');
        return cardResponse(viewFor(card));
      }

      const inputs = Object.fromEntries(
        Object.entries(record).filter(
          (e): e is [string, string] => typeof e[1] === 'string' && e[1].length <= 3000,
        ),
      );
      const outcome = await handler.handleAction(actor, { verb, data: record, inputs });
      // A private answer (a pivot's result card) is the invoke response: Teams shows it only on the
      // clicker's client, in place of the card, with a button back to it; the message is not edited.
      if (outcome.reply) return cardResponse(privateReplyView(outcome.reply.card, messageId !== undefined));
      // A notice means nothing changed for this click (refused, or someone else acted first and
      // already updated the card): tell the clicker only.
      if (outcome.notice) return message(outcome.notice);
      if (!outcome.card) return message('Done.');
      if (messageId) {
        // Everyone else sees the change too; the clicker gets the card in the invoke response.
        await surface
          .updateCard({ surface: 'teams', channel: conversationId, messageId }, outcome.card)
          .catch((err: unknown) => logger.warn({ err }, 'teams card update for everyone failed'));
      }
      return cardResponse(viewFor(outcome.card.card));
    } catch (err) {
      logger.warn({ err, user: actor.userId, verb }, 'teams card action failed');
      return message(userMessageFor(err));
    }
  });
}

function actorOf(activity: InboundActivity): ChatActor {
  // The AAD object id is what `people.<name>.teams` holds; without it the user maps to nobody.
  return {
    surface: 'teams',
    userId: activity.from?.aadObjectId ?? '',
    ...(activity.from?.name && { displayName: activity.from.name }),
  };
}

function cardResponse(card: AdaptiveCard) {
  return {
    statusCode: 200 as const,
    type: 'application/vnd.microsoft.card.adaptive' as const,
    value: card as never,
  };
}

function message(text: string) {
  return {
    statusCode: 200 as const,
    type: 'application/vnd.microsoft.activity.message' as const,
    value: text,
  };
}

function badRequest(text: string) {
  return {
    statusCode: 400 as const,
    type: 'application/vnd.microsoft.error' as const,
    value: { code: 'BadRequest', message: text, innerHttpError: { statusCode: 400, body: text } },
  };
}
