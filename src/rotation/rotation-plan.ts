import { createHash } from 'node:crypto';
import type { SecretProperties, StorageKeyName } from './ports.js';
import { alternateKey, readRotationTags } from './rotation-tags.js';

const DAY_MS = 86_400_000;

/** Exactly what approvers approve (DESIGN §4.6). Its hash is what an approval refers to. */
export interface RotationPlan {
  readonly vault: string;
  readonly secret: string;
  /** The secret version the plan was made from; execution refuses if the latest version differs. */
  readonly secretVersion: string;
  /** All tags of that version; execution refuses if they differ. */
  readonly secretTags: Readonly<Record<string, string>>;
  readonly currentKey: StorageKeyName;
  /** The alternate key: regenerated so applications keep working on the current one meanwhile. */
  readonly keyToRegenerate: StorageKeyName;
  readonly storageAccountId: string;
  readonly storageAccountName: string;
  readonly validityPeriodDays: number;
  /** Expiry the new version would get if executed at planning time (execution uses its own time). */
  readonly newExpiresOn: string;
  readonly requester: string;
  readonly requestedVia: string;
  readonly reason: string;
  readonly requestedAt: string;
  /** After this the request can no longer be approved. */
  readonly expiresAt: string;
}

export interface PlanInput {
  readonly secret: SecretProperties;
  readonly requester: string;
  readonly requestedVia: string;
  readonly reason: string;
  readonly nowMs: number;
  readonly requestTtlMs: number;
}

/** Builds the plan from the secret's properties and tags (never its value). Throws RotationNotConfigured. */
export function planRotation(input: PlanInput): RotationPlan {
  const tags = readRotationTags(input.secret.name, input.secret.tags);
  return {
    vault: input.secret.vault.toLowerCase(),
    secret: input.secret.name,
    secretVersion: input.secret.version,
    secretTags: { ...input.secret.tags },
    currentKey: tags.credentialId,
    keyToRegenerate: alternateKey(tags.credentialId),
    storageAccountId: tags.accountId,
    storageAccountName: tags.accountName,
    validityPeriodDays: tags.validityPeriodDays,
    newExpiresOn: new Date(input.nowMs + tags.validityPeriodDays * DAY_MS).toISOString(),
    requester: input.requester,
    requestedVia: input.requestedVia,
    reason: input.reason,
    requestedAt: new Date(input.nowMs).toISOString(),
    expiresAt: new Date(input.nowMs + input.requestTtlMs).toISOString(),
  };
}

/** sha256 over the canonical JSON of the plan (keys sorted at every level). */
export function planHash(plan: RotationPlan): string {
  return createHash('sha256').update(canonicalJson(plan)).digest('hex');
}

export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/** Expiry for a version written at `nowMs`. */
export function expiryFrom(nowMs: number, validityPeriodDays: number): string {
  return new Date(nowMs + validityPeriodDays * DAY_MS).toISOString();
}

/** Whether the secret still is what the plan was made from (same latest version, same tags). */
export function planStillHolds(
  plan: RotationPlan,
  current: SecretProperties | undefined,
): string | undefined {
  if (!current) return 'the secret no longer exists';
  if (current.version !== plan.secretVersion) {
    return `the secret has a new version (${current.version}) since the plan (${plan.secretVersion})`;
  }
  if (canonicalJson(current.tags) !== canonicalJson(plan.secretTags))
    return 'the secret tags changed since the plan';
  return undefined;
}
