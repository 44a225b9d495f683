import { renderCard } from '../chat/cards/render-card.js';
import type { CardMessage } from '../chat/chat-surface.js';
import type { Alert } from './alert.js';
import { formatTime } from './alert-card.js';

/** Rows shown before "… and N more". */
export const SUMMARY_ROWS = 25;

/** The group summary card: one row per alert (used by `/kv alerts`). */
export function renderAlertSummaryCard(alerts: readonly Alert[], title = 'Open alerts'): CardMessage {
  const shown = alerts.slice(0, SUMMARY_ROWS);
  const rows = shown.map((a) => ({
    alertId: a.id,
    severity: a.severity,
    rule: a.rule,
    vault: a.vault,
    count: String(a.count),
    state: a.escalated && a.state !== 'closed' ? `${a.state} (escalated)` : a.state,
    lastSeen: formatTime(a.lastSeen),
  }));
  const more = alerts.length - shown.length;
  const card = renderCard('alert-summary', {
    title,
    subtitle: alerts.length === 0 ? 'No alerts.' : `${alerts.length} alert${alerts.length === 1 ? '' : 's'}`,
    hasRows: rows.length > 0,
    rows,
    hasMore: more > 0,
    more: `… and ${more} more`,
  });
  const text = [
    `${title}: ${alerts.length}`,
    ...rows.map((r) => `${r.alertId} [${r.severity}] ${r.rule} ${r.vault} ×${r.count} ${r.state}`),
  ].join('\n');
  return { card, text };
}
