import { describe, expect, it } from 'vitest';
import { renderNoticeCard } from '../../src/app/notice-card.js';
import type { VaultNotice } from '../../src/audit/audit-event.js';

const notice = (overrides: Partial<VaultNotice> = {}): VaultNotice => ({
  id: 'c2a8f1e4-7b3d-4e6f-9a0b-1c2d3e4f5a6b',
  type: 'SecretNearExpiry',
  time: '2025-06-03T00:10:41.233Z',
  timeMs: Date.parse('2025-06-03T00:10:41.233Z'),
  vault: 'kv-prod-payments',
  objectType: 'Secret',
  objectName: 'storageKey',
  version: '5b8e2c7d9a1f4e3b8c6d0a2e4f6b8d1c',
  expires: '2025-07-03T00:10:41.000Z',
  schema: 'eventgrid',
  ...overrides,
});

describe('expiry notice card', () => {
  it('names the object, vault and expiry of a near-expiry notice', () => {
    const { card, text } = renderNoticeCard(notice());
    const json = JSON.stringify(card);
    expect(card.version).toBe('1.5');
    expect(json).toContain('Expiring soon · secret · kv-prod-payments');
    expect(json).toContain('2025-07-03 00:10 UTC');
    expect(json).toContain('SecretNearExpiry');
    expect(text).toBe(
      'The secret storageKey expires on 2025-07-03 00:10 UTC. (vault kv-prod-payments, SecretNearExpiry)',
    );
  });

  it('says expired for an Expired notice and copes without an expiry date', () => {
    const { card, text } = renderNoticeCard(
      notice({ type: 'KeyExpired', objectType: 'Key', objectName: 'signing', expires: undefined }),
    );
    expect(JSON.stringify(card)).toContain('Expired · key · kv-prod-payments');
    expect(text).toContain('The key signing has expired.');
  });

  it('shows hostile object names verbatim instead of expanding them', () => {
    const hostile = ['$', '{evil}'].join('');
    const { card } = renderNoticeCard(notice({ objectName: hostile }));
    expect(JSON.stringify(card)).toContain(`secret ${hostile}`);
  });
});
