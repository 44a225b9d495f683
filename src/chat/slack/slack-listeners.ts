import type { App, RespondArguments, RespondFn } from '@slack/bolt';
import { userMessageFor } from '../../errors.js';
import type { Logger } from '../../util/logger.js';
import { dataOfButtonValue, readInputs, verbOfActionId } from '../block-kit/inbound.js';
import { toBlockKit } from '../block-kit/to-block-kit.js';
import type { ChatActor, ChatHandler, CommandReply } from '../chat-surface.js';
import type { SlackSurface } from './slack-surface.js';

/** The slash command kv-warden answers (manifest/slack-app.yaml declares it). */
export const SLASH_COMMAND = '/kv';

/**
 * Wires Bolt to the ChatHandler. Every listener acks first (Slack's 3-second limit), then does
 * the work: commands answer through `respond()` (response_url), button clicks update the card in
 * place with `chat.update` and send refusals and private answers (pivot results) ephemerally.
 */
export function registerSlackListeners(
  app: App,
  deps: { handler: ChatHandler; surface: SlackSurface; logger: Logger },
) {
  const { handler, surface, logger } = deps;

  app.command(SLASH_COMMAND, async ({ command, ack, respond }) => {
    await ack();
    const actor: ChatActor = { surface: 'slack', userId: command.user_id, displayName: command.user_name };
    try {
      const reply = await handler.handleCommand(actor, command.text ?? '');
      await respond(toRespondArguments(reply));
    } catch (err) {
      logger.warn({ err, user: command.user_id }, 'slack command failed');
      await safeRespond(respond, { response_type: 'ephemeral', text: userMessageFor(err) }, logger);
    }
  });

  app.action(/.+/, async ({ ack, body, action, respond }) => {
    await ack();
    if (body.type !== 'block_actions' || action.type !== 'button' || !('action_id' in action)) return;
    const verb = verbOfActionId(action.action_id);
    if (!verb) return; // a link button: Slack opened the URL already
    const data = dataOfButtonValue(action.value);
    if (!data) {
      await safeRespond(
        respond,
        ephemeral('That button carried data kv-warden does not accept. Nothing was changed.'),
        logger,
      );
      return;
    }
    const actor: ChatActor = { surface: 'slack', userId: body.user.id, displayName: body.user.name };
    const channel = body.channel?.id ?? body.container?.channel_id;
    const ts = body.message?.ts ?? body.container?.message_ts;
    try {
      const outcome = await handler.handleAction(actor, { verb, data, inputs: readInputs(body.state) });
      // A private answer (a pivot's result card) is an ephemeral message next to the card: only the
      // clicker sees it, and the card they clicked is not replaced.
      if (outcome.reply) {
        await safeRespond(
          respond,
          {
            response_type: 'ephemeral',
            replace_original: false,
            text: outcome.reply.text || ' ',
            blocks: toBlockKit(outcome.reply.card),
          },
          logger,
        );
      }
      // A notice means this click changed nothing (refused, or someone else acted first and already
      // updated the message): only the clicker hears about it and the card stays as it is.
      if (outcome.notice) {
        await safeRespond(respond, ephemeral(outcome.notice), logger);
      } else if (outcome.card && body.container?.is_ephemeral === true) {
        // A card in an ephemeral command reply cannot be edited with chat.update; replace it instead.
        await safeRespond(
          respond,
          { replace_original: true, text: outcome.card.text, blocks: toBlockKit(outcome.card.card) },
          logger,
        );
      } else if (outcome.card && channel && ts) {
        await surface.updateCard({ surface: 'slack', channel, messageId: ts }, outcome.card);
      }
    } catch (err) {
      logger.warn({ err, user: body.user.id, verb }, 'slack action failed');
      await safeRespond(respond, ephemeral(userMessageFor(err)), logger);
    }
  });
}

function ephemeral(text: string): RespondArguments {
  return { response_type: 'ephemeral', replace_original: false, text };
}

export function toRespondArguments(reply: CommandReply): RespondArguments {
  const response_type = reply.ephemeral === true ? 'ephemeral' : 'in_channel';
  if (reply.card) {
    return {
      response_type,
      text: reply.card.text || reply.text || ' ',
      blocks: toBlockKit(reply.card.card),
    };
  }
  return { response_type, text: reply.text ?? ' ' };
}

async function safeRespond(respond: RespondFn, message: RespondArguments, logger: Logger): Promise<void> {
  try {
    await respond(message);
  } catch (err) {
    logger.warn({ err }, 'slack respond() failed');
  }
}
