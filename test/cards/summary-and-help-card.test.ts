import { describe, expect, it } from 'vitest';
import { renderAlertSummaryCard, SUMMARY_ROWS } from '../../src/alerts/alert-summary-card.js';
import { toBlockKit } from '../../src/chat/block-kit/to-block-kit.js';
import { renderHelpCard } from '../../src/chat/cards/help-card.js';
import { CardTemplateError, renderCard } from '../../src/chat/cards/render-card.js';
import { buildAlert } from '../alerts/builders.js';

describe('alert summary card', () => {
  it('lists one row per alert under a header row (snapshot)', () => {
    const alerts = [
      buildAlert(),
      buildAlert({
        id: 'A-2',
        rule: 'firewall-opened',
        severity: 'critical',
        state: 'acknowledged',
        escalated: true,
      }),
    ];
    const { card } = renderAlertSummaryCard(alerts);
    expect(card).toMatchSnapshot();
    const table = card.body.find((b) => (b as { type: string }).type === 'Table') as { rows: unknown[] };
    expect(table.rows).toHaveLength(3);
    expect(() => toBlockKit(card)).not.toThrow();
  });

  it('says there are no alerts and shows no table when empty', () => {
    const { card, text } = renderAlertSummaryCard([]);
    expect(card.body.some((b) => (b as { type: string }).type === 'Table')).toBe(false);
    expect(JSON.stringify(card)).toContain('No alerts.');
    expect(text).toBe('Open alerts: 0');
  });

  it('caps the rows and says how many more there are', () => {
    const alerts = Array.from({ length: SUMMARY_ROWS + 3 }, (_, i) => buildAlert({ id: `A-${i}` }));
    const { card } = renderAlertSummaryCard(alerts);
    const table = card.body.find((b) => (b as { type: string }).type === 'Table') as { rows: unknown[] };
    expect(table.rows).toHaveLength(SUMMARY_ROWS + 1);
    expect(JSON.stringify(card)).toContain('… and 3 more');
  });
});

describe('help card', () => {
  it('lists the subcommands it is given, in order (snapshot)', () => {
    const { card, text } = renderHelpCard([
      { usage: 'help', summary: 'Show this help' },
      { usage: 'alerts', summary: 'List open alerts' },
    ]);
    expect(card).toMatchSnapshot();
    expect(text).toContain('/kv alerts — List open alerts');
    expect(() => toBlockKit(card)).not.toThrow();
  });
});

describe('renderCard', () => {
  it('refuses template names that could leave the cards folder', () => {
    expect(() => renderCard('../package', {})).toThrow(CardTemplateError);
  });

  it('throws when the view model misses a field the template binds', () => {
    expect(() => renderCard('help', { title: 'x', commands: [], hasFooter: false, footer: '' })).toThrow(
      /intro/,
    );
  });

  it('names a template that does not exist', () => {
    expect(() => renderCard('no-such-card', {})).toThrow(/no-such-card/);
  });
});
