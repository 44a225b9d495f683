import { renderHelpCard } from '../chat/cards/help-card.js';
import type { CommandReply } from '../chat/chat-surface.js';
import type { CommandContext, SubcommandSpec } from '../chat/command-router.js';
import type { Directory } from '../config/directory.js';
import { VAULT_NAME } from '../config/load.js';
import { InvalidParameterError, NotAuthorisedError, UsageError } from '../errors.js';
import type { AlertService } from './alert-service.js';
import { renderAlertSummaryCard } from './alert-summary-card.js';

/**
 * `/kv alerts [vault]`: the open (and acknowledged) alerts as a summary card, for viewers and
 * responders (of that vault). Errors are thrown as coded errors; the router turns them into sentences.
 */
export function alertsCommand(deps: { service: AlertService; directory: Directory }): SubcommandSpec {
  return {
    name: 'alerts',
    usage: 'alerts [vault]',
    summary: 'List open and acknowledged alerts, most severe first',
    async run(ctx: CommandContext): Promise<CommandReply> {
      const person = deps.directory.resolve(ctx.actor);
      if (ctx.args.length > 1) throw new UsageError('usage: /kv alerts [vault]');
      const vault = ctx.args[0]?.toLowerCase();
      if (vault !== undefined && !VAULT_NAME.test(vault)) {
        throw new InvalidParameterError('vault', `"${vault.slice(0, 40)}" is not a Key Vault name`);
      }
      const may = (role: 'viewer' | 'responder') => deps.directory.hasRole(person, role, vault);
      if (!may('viewer') && !may('responder'))
        throw new NotAuthorisedError(person.name, 'viewer', 'list alerts');
      const open = (await deps.service.listOpen()).filter(
        (a) =>
          (vault === undefined || a.vault === vault) &&
          (deps.directory.hasRole(person, 'viewer', a.vault) ||
            deps.directory.hasRole(person, 'responder', a.vault)),
      );
      const where = vault === undefined ? '' : ` on ${vault}`;
      if (open.length === 0) return { text: `No open alerts${where}.`, ephemeral: true };
      const title = `Open alerts${where}`;
      const card = renderAlertSummaryCard(open, title);
      return { card, text: card.text, ephemeral: true };
    },
  };
}

/** `/kv help`: the help card built from whatever the router has registered (open to everyone). */
export function helpCommand(listCommands: () => readonly SubcommandSpec[]): SubcommandSpec {
  return {
    name: 'help',
    usage: 'help',
    summary: 'Show the commands',
    public: true,
    async run(): Promise<CommandReply> {
      const commands = listCommands().map((c) => ({ usage: c.usage, summary: c.summary }));
      const card = renderHelpCard(commands);
      return { card, text: card.text, ephemeral: true };
    },
  };
}
