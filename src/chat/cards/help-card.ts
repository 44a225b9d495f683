import type { CardMessage } from '../chat-surface.js';
import { renderCard } from './render-card.js';

export interface HelpEntry {
  readonly usage: string;
  readonly summary: string;
}

/** The `/kv help` card: one line per registered subcommand, in the order given. */
export function renderHelpCard(
  commands: readonly HelpEntry[],
  options: { footer?: string } = {},
): CardMessage {
  const rows = commands.map((c) => ({ usage: `/kv ${c.usage}`, summary: c.summary }));
  const card = renderCard('help', {
    title: 'kv-warden commands',
    intro: 'Key Vault security: alert triage, audit queries and two-person key rotation.',
    commands: rows,
    hasFooter: options.footer !== undefined && options.footer !== '',
    footer: options.footer ?? '',
  });
  const text = ['kv-warden commands:', ...rows.map((r) => `${r.usage} — ${r.summary}`)].join('\n');
  return { card, text };
}
