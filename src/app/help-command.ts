import { renderHelpCard } from '../chat/cards/help-card.js';
import type { CommandRouter, SubcommandSpec } from '../chat/command-router.js';

/** `/kv help`: every registered subcommand, in registration order. Open to everyone. */
export function helpCommand(router: CommandRouter): SubcommandSpec {
  return {
    name: 'help',
    usage: 'help',
    summary: 'list the commands',
    public: true,
    async run() {
      const card = renderHelpCard(router.list().map((c) => ({ usage: c.usage, summary: c.summary })));
      return { card, text: card.text, ephemeral: true };
    },
  };
}
