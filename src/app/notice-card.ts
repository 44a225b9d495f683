import type { VaultNotice } from '../audit/audit-event.js';
import { renderCard } from '../chat/cards/render-card.js';
import type { CardMessage } from '../chat/chat-surface.js';

/** The "expiring soon" / "expired" card for a Key Vault Event Grid notice (`cards/notice-expiring.json`). */
export function renderNoticeCard(notice: VaultNotice): CardMessage {
  const expired = notice.type.endsWith('Expired');
  const kind = (notice.objectType ?? notice.type.replace(/(NearExpiry|Expired)$/, '')).toLowerCase();
  const name = notice.objectName ?? '(unnamed)';
  const expires = notice.expires ? formatUtc(notice.expires) : 'not stated';
  const statusLine = expired
    ? `The ${kind} ${name} has expired.`
    : `The ${kind} ${name} expires ${notice.expires ? `on ${expires}` : 'soon'}.`;
  const card = renderCard('notice-expiring', {
    title: `${expired ? '⛔ Expired' : '⏳ Expiring soon'} · ${kind} · ${notice.vault}`,
    statusLine,
    statusColor: expired ? 'Attention' : 'Warning',
    noticeType: notice.type,
    vault: notice.vault,
    object: `${kind} ${name}`,
    version: notice.version ?? '—',
    expires,
    reported: formatUtc(notice.time),
    advice: expired
      ? 'Callers using it now fail. Rotate it (`/kv rotate …`) or set a new version.'
      : 'Rotate it before it expires (`/kv rotate …`), or extend its expiry.',
    // Secrets can be rotated from the card (rotation.request, handled by the rotation feature).
    canRequestRotation: kind === 'secret' && notice.objectName !== undefined,
    secret: name,
  });
  return { card, text: `${statusLine} (vault ${notice.vault}, ${notice.type})` };
}

function formatUtc(iso: string): string {
  const ms = Date.parse(iso);
  return Number.isNaN(ms) ? iso : `${new Date(ms).toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}
