import { createHash } from 'node:crypto';
import { ErrorCode, isCodedError, KvWardenError, NotFoundError } from '../errors.js';
import type { Clock } from '../util/clock.js';
import type { SecretVault, StorageKey, StorageKeyRotator } from './ports.js';
import { expiryFrom, planStillHolds } from './rotation-plan.js';
import type { ExecutionStep, RotationRecord, RotationState } from './rotation-record.js';
import type { RotationRepo, StoredRotation } from './rotation-repo.js';
import { TAG_CREDENTIAL_ID, TAG_ROTATION_ID } from './rotation-tags.js';

export interface ExecutorDeps {
  readonly repo: RotationRepo;
  readonly vault: SecretVault;
  readonly rotator: StorageKeyRotator;
  readonly clock: Clock;
}

/** A step lost its CAS: another executor owns the rotation now. */
class Superseded extends Error {}

/**
 * Runs an approved rotation: approved → regenerating → writing-secret → verifying → done | failed.
 * Each step is persisted before the next side effect, and every step can be re-entered after a crash:
 * - regenerating: the alternate key's creation time recorded before regenerating tells whether it happened;
 * - writing-secret: the version kv-warden writes carries the rotation id in a tag, so it is never written twice;
 * - verifying: only reads.
 * Key values live in local variables only; errors are scrubbed of them before they are stored.
 */
export class RotationExecutor {
  constructor(private readonly deps: ExecutorDeps) {}

  /** Executes (or resumes) the rotation; resolves to its record when done, failed, or owned by another executor. */
  async run(id: string): Promise<RotationRecord> {
    let current = await this.deps.repo.get(id);
    if (!current) throw new NotFoundError(`rotation ${id}`);
    if (!isExecuting(current.value.state)) return current.value;
    try {
      // Claim: bump the attempt counter with a CAS, so of two executors starting together one proceeds.
      current = await this.step(current, current.value.state, {}, undefined);
      for (;;) {
        const state = current.value.state;
        if (!isExecuting(state)) return current.value;
        current = await this.advance(current, state as ExecutionStep);
      }
    } catch (err) {
      if (err instanceof Superseded) return (await this.deps.repo.get(id))?.value ?? current.value;
      throw err;
    }
  }

  private async advance(current: StoredRotation, step: ExecutionStep): Promise<StoredRotation> {
    const seen: string[] = [];
    try {
      switch (step) {
        case 'approved':
          return await this.start(current);
        case 'regenerating':
          return await this.regenerate(current, seen);
        case 'writing-secret':
          return await this.writeSecret(current, seen);
        case 'verifying':
          return await this.verify(current, seen);
      }
    } catch (err) {
      if (err instanceof Superseded) throw err;
      const error = scrub(describe(err), seen);
      return this.step(
        current,
        'failed',
        { failedStep: step, error, finishedAt: this.now() },
        `failed at ${step}: ${error}`,
      );
    }
  }

  /** Re-reads the secret and refuses a plan that no longer holds; records the alternate key's creation time. */
  private async start(current: StoredRotation): Promise<StoredRotation> {
    const { plan } = current.value;
    const props = await this.deps.vault.getSecretProperties(plan.vault, plan.secret);
    const problem = planStillHolds(plan, props);
    if (problem) {
      throw new KvWardenError(
        ErrorCode.RotationPlanChanged,
        `Refused: ${problem}. Nothing was changed; request a new rotation.`,
      );
    }
    const alternate = keyOf(await this.deps.rotator.listKeys(plan.storageAccountId), plan.keyToRegenerate);
    return this.step(
      current,
      'regenerating',
      {
        startedAt: this.now(),
        ...(alternate.creationTime ? { keyCreationTimeBefore: alternate.creationTime } : {}),
      },
      `regenerating ${plan.keyToRegenerate} of ${plan.storageAccountName}`,
    );
  }

  private async regenerate(current: StoredRotation, seen: string[]): Promise<StoredRotation> {
    const { plan, execution } = current.value;
    const rotator = this.deps.rotator;
    let alternate = keyOf(await rotator.listKeys(plan.storageAccountId), plan.keyToRegenerate);
    seen.push(alternate.value);
    const before = execution.keyCreationTimeBefore;
    const alreadyDone =
      before !== undefined && alternate.creationTime !== undefined && alternate.creationTime !== before;
    if (!alreadyDone) {
      await rotator.regenerateKey(plan.storageAccountId, plan.keyToRegenerate);
      alternate = keyOf(await rotator.listKeys(plan.storageAccountId), plan.keyToRegenerate);
      seen.push(alternate.value);
    }
    return this.step(
      current,
      'writing-secret',
      {
        regeneratedAt: this.now(),
        ...(alternate.creationTime ? { newKeyCreationTime: alternate.creationTime } : {}),
      },
      `regenerated ${plan.keyToRegenerate}${alreadyDone ? ' (found already regenerated after a restart)' : ''}`,
    );
  }

  private async writeSecret(current: StoredRotation, seen: string[]): Promise<StoredRotation> {
    const { plan, id } = current.value;
    const latest = await this.deps.vault.getSecretProperties(plan.vault, plan.secret);
    let version: string;
    let expiresOn: string;
    let resumed = false;
    if (latest && latest.tags[TAG_ROTATION_ID] === id) {
      version = latest.version;
      expiresOn = latest.expiresOn ?? expiryFrom(this.deps.clock.now(), plan.validityPeriodDays);
      resumed = true;
    } else {
      const alternate = keyOf(await this.deps.rotator.listKeys(plan.storageAccountId), plan.keyToRegenerate);
      seen.push(alternate.value);
      expiresOn = expiryFrom(this.deps.clock.now(), plan.validityPeriodDays);
      const tags = { ...plan.secretTags, [TAG_CREDENTIAL_ID]: plan.keyToRegenerate, [TAG_ROTATION_ID]: id };
      version = (
        await this.deps.vault.setSecret(plan.vault, plan.secret, alternate.value, { tags, expiresOn })
      ).version;
    }
    return this.step(
      current,
      'verifying',
      { newVersion: version, newExpiresOn: expiresOn, secretWrittenAt: this.now() },
      `wrote version ${version} (expires ${expiresOn})${resumed ? ' (found already written after a restart)' : ''}`,
    );
  }

  private async verify(current: StoredRotation, seen: string[]): Promise<StoredRotation> {
    const { plan, execution } = current.value;
    const alternate = keyOf(await this.deps.rotator.listKeys(plan.storageAccountId), plan.keyToRegenerate);
    seen.push(alternate.value);
    const props = await this.deps.vault.getSecretProperties(plan.vault, plan.secret);
    if (!props || props.version !== execution.newVersion) {
      throw new KvWardenError(
        ErrorCode.Upstream,
        `verification failed: the latest version is ${props?.version ?? 'missing'}, not the written ${execution.newVersion}`,
      );
    }
    const stored = await this.deps.vault.getSecretValue(plan.vault, plan.secret, execution.newVersion);
    seen.push(stored);
    if (sha256(stored) !== sha256(alternate.value)) {
      throw new KvWardenError(
        ErrorCode.Upstream,
        `verification failed: secret version ${execution.newVersion} does not hold the current ${plan.keyToRegenerate} of ${plan.storageAccountName}`,
      );
    }
    const at = this.now();
    return this.step(
      current,
      'done',
      { verifiedAt: at, finishedAt: at },
      `verified version ${execution.newVersion}`,
    );
  }

  /** One CAS write of the state plus execution facts, with an audit entry; a lost CAS means Superseded. */
  private async step(
    current: StoredRotation,
    state: RotationState,
    facts: Partial<RotationRecord['execution']>,
    note: string | undefined,
  ): Promise<StoredRotation> {
    const at = this.now();
    const claim = note === undefined;
    const next: RotationRecord = {
      ...current.value,
      state,
      updatedAt: at,
      execution: {
        ...current.value.execution,
        ...facts,
        attempt: current.value.execution.attempt + (claim ? 1 : 0),
      },
      history: claim
        ? current.value.history
        : [...current.value.history, { at, actor: 'system', action: state, detail: note }],
    };
    try {
      return await this.deps.repo.write(
        current,
        next,
        claim ? undefined : { actor: 'system', action: `rotation.${state}`, detail: note },
      );
    } catch (err) {
      if (isCodedError(err) && err.code === ErrorCode.Conflict) throw new Superseded();
      throw err;
    }
  }

  private now(): string {
    return new Date(this.deps.clock.now()).toISOString();
  }
}

function isExecuting(state: RotationState): boolean {
  return (
    state === 'approved' || state === 'regenerating' || state === 'writing-secret' || state === 'verifying'
  );
}

function keyOf(keys: readonly StorageKey[], name: string): StorageKey {
  const key = keys.find((k) => k.keyName.toLowerCase() === name);
  if (!key) throw new KvWardenError(ErrorCode.Upstream, `the storage account has no key named ${name}`);
  return key;
}

function sha256(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

function describe(err: unknown): string {
  if (isCodedError(err)) return err.message;
  if (err instanceof Error) return `${err.name}: ${err.message}`;
  return 'unknown error';
}

/** Removes any key or secret value the step handled from a message (defence in depth), and bounds its length. */
export function scrub(message: string, values: readonly string[]): string {
  let out = message;
  for (const v of values) if (v.length >= 8) out = out.split(v).join('[redacted]');
  return out.slice(0, 500);
}
