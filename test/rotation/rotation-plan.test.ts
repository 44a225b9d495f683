import { describe, expect, it } from 'vitest';
import { ErrorCode } from '../../src/errors.js';
import type { SecretProperties } from '../../src/rotation/ports.js';
import { planHash, planRotation, planStillHolds } from '../../src/rotation/rotation-plan.js';

const ACCOUNT =
  '/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg-pay/providers/Microsoft.Storage/storageAccounts/stpayments';
const secret = (tags: Record<string, string>, over: Partial<SecretProperties> = {}): SecretProperties => ({
  vault: 'KV-Prod-Payments',
  name: 'storage-key',
  version: 'v1',
  tags,
  ...over,
});
const TAGS = { CredentialId: 'key1', ProviderAddress: ACCOUNT, ValidityPeriodDays: '60' };
const base = {
  requester: 'alice',
  requestedVia: 'slack:U01ALICE',
  reason: 'quarterly',
  nowMs: Date.parse('2025-06-02T12:00:00Z'),
  requestTtlMs: 3_600_000,
};

function errorOf(fn: () => unknown): { code?: string; message: string } {
  try {
    fn();
  } catch (err) {
    return err as { code?: string; message: string };
  }
  throw new Error('expected an error');
}

describe('planRotation', () => {
  it('plans to regenerate the alternate key with the new expiry, request expiry and current version', () => {
    const plan = planRotation({ ...base, secret: secret(TAGS) });
    expect(plan).toMatchObject({
      vault: 'kv-prod-payments',
      secret: 'storage-key',
      secretVersion: 'v1',
      currentKey: 'key1',
      keyToRegenerate: 'key2',
      storageAccountId: ACCOUNT,
      storageAccountName: 'stpayments',
      validityPeriodDays: 60,
      newExpiresOn: '2025-08-01T12:00:00.000Z',
      requester: 'alice',
      reason: 'quarterly',
      requestedAt: '2025-06-02T12:00:00.000Z',
      expiresAt: '2025-06-02T13:00:00.000Z',
    });
    expect(planRotation({ ...base, secret: secret({ ...TAGS, CredentialId: 'key2' }) }).keyToRegenerate).toBe(
      'key1',
    );
  });

  it.each([
    [{}, ['CredentialId', 'ProviderAddress', 'ValidityPeriodDays']],
    [{ ProviderAddress: ACCOUNT, ValidityPeriodDays: '60' }, ['CredentialId']],
    [{ ...TAGS, CredentialId: 'key3' }, ['`CredentialId` must be `key1` or `key2`']],
    [
      { ...TAGS, ProviderAddress: '/subscriptions/x/resourceGroups/y/providers/Microsoft.Web/sites/z' },
      ['`ProviderAddress` is not a storage account'],
    ],
    [{ ...TAGS, ValidityPeriodDays: 'sixty' }, ['`ValidityPeriodDays` must be a whole number']],
    [{ ...TAGS, ValidityPeriodDays: '0' }, ['`ValidityPeriodDays` must be a whole number']],
  ])('explains exactly which tags to add or fix (%j)', (tags, mentions) => {
    const err = errorOf(() => planRotation({ ...base, secret: secret(tags as Record<string, string>) }));
    expect(err.code).toBe(ErrorCode.RotationNotConfigured);
    for (const m of mentions) expect(err.message).toContain(m);
    expect(err.message).toContain('storage-key');
  });

  it('hashes the canonical plan: stable under key order, different when anything changes', () => {
    const plan = planRotation({ ...base, secret: secret(TAGS) });
    const reordered = Object.fromEntries(Object.entries(plan).reverse()) as typeof plan;
    expect(planHash(reordered)).toBe(planHash(plan));
    expect(planHash(plan)).toMatch(/^[0-9a-f]{64}$/);
    expect(planHash({ ...plan, secretVersion: 'v2' })).not.toBe(planHash(plan));
    expect(planHash({ ...plan, secretTags: { ...plan.secretTags, Owner: 'x' } })).not.toBe(planHash(plan));
    expect(planHash({ ...plan, reason: 'other' })).not.toBe(planHash(plan));
  });

  it('says the plan no longer holds when the version or any tag changed', () => {
    const plan = planRotation({ ...base, secret: secret(TAGS) });
    expect(planStillHolds(plan, secret({ ...TAGS }))).toBeUndefined();
    expect(planStillHolds(plan, secret(TAGS, { version: 'v2' }))).toMatch(/new version/);
    expect(planStillHolds(plan, secret({ ...TAGS, CredentialId: 'key2' }))).toMatch(/tags changed/);
    expect(planStillHolds(plan, undefined)).toMatch(/no longer exists/);
  });
});
