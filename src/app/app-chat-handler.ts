import type {
  ActionOutcome,
  ChatActor,
  ChatHandler,
  CommandReply,
  InboundAction,
} from '../chat/chat-surface.js';
import type { CommandRouter } from '../chat/command-router.js';
import type { Directory } from '../config/directory.js';
import { userMessageFor } from '../errors.js';
import type { Logger } from '../util/logger.js';

/** Handles the card buttons whose verbs start with one prefix (`alert.`, `rotation.`). */
export type ActionHandler = (actor: ChatActor, action: InboundAction) => Promise<ActionOutcome>;

/**
 * The one ChatHandler every surface calls. Clicks go to the feature that owns the verb's prefix
 * (`alert.*` → alerts, `rotation.*` → rotation, …); `/kv` text goes through the CommandRouter. A chat
 * account that maps to no person may run only public commands (help): fail closed on identity.
 * Errors become the user-facing sentence from errors.ts; internal details stay in the log.
 */
export class AppChatHandler implements ChatHandler {
  private readonly actions = new Map<string, ActionHandler>();

  constructor(
    private readonly router: CommandRouter,
    private readonly directory: Directory,
    private readonly logger: Logger,
  ) {}

  /** Routes verbs `<prefix>.…` to `handler`. */
  registerActions(prefix: string, handler: ActionHandler): this {
    const key = prefix.endsWith('.') ? prefix : `${prefix}.`;
    if (this.actions.has(key)) throw new Error(`action prefix ${key} registered twice`);
    this.actions.set(key, handler);
    return this;
  }

  async handleAction(actor: ChatActor, action: InboundAction): Promise<ActionOutcome> {
    const prefix = [...this.actions.keys()]
      .filter((p) => action.verb.startsWith(p))
      .sort((a, b) => b.length - a.length)[0];
    const handler = prefix ? this.actions.get(prefix) : undefined;
    if (!handler) {
      this.logger.warn({ verb: action.verb, surface: actor.surface }, 'card action with an unknown verb');
      return {
        notice: `This button (${action.verb}) is not handled by this kv-warden. Nothing was changed.`,
      };
    }
    try {
      return await handler(actor, action);
    } catch (err) {
      this.logger.warn({ err, verb: action.verb, surface: actor.surface }, 'card action failed');
      return { notice: userMessageFor(err) };
    }
  }

  async handleCommand(actor: ChatActor, text: string): Promise<CommandReply> {
    try {
      const { spec, args, rest } = this.router.parse(text);
      if (!spec.public) this.directory.resolve(actor);
      return await spec.run({ actor, args, rest });
    } catch (err) {
      this.logger.info({ err, surface: actor.surface }, 'command refused or failed');
      return { text: userMessageFor(err), ephemeral: true };
    }
  }
}
