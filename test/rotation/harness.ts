import type { ChatActor } from '../../src/chat/chat-surface.js';
import { Directory } from '../../src/config/directory.js';
import { readEnv } from '../../src/config/env.js';
import { parseConfig } from '../../src/config/load.js';
import { LocalVaultProvider } from '../../src/rotation/local-vault-provider.js';
import type { SecretVault, StorageKeyName, StorageKeyRotator } from '../../src/rotation/ports.js';
import type { RotationRecord } from '../../src/rotation/rotation-record.js';
import { RotationService } from '../../src/rotation/rotation-service.js';
import {
  DEMO_ACCOUNT_ID,
  DEMO_SECRET,
  DEMO_VAULT,
  seedDemoVault,
} from '../../src/rotation/seed-demo-vault.js';
import { MemoryStore } from '../../src/store/memory-store.js';
import type { Store } from '../../src/store/store.js';
import { FakeClock } from '../../src/util/clock.js';
import type { Logger } from '../../src/util/logger.js';

export const ALICE_TEAMS = '11111111-1111-1111-1111-111111111111';
/** alice requests (and, to test self-approval, may approve); carol and dave approve; erin approves another vault; bob has no rotation role. */
export const CONFIG = {
  people: {
    alice: { slack: 'U01ALICE', teams: ALICE_TEAMS },
    bob: { slack: 'U02BOB' },
    carol: { slack: 'U03CAROL', teams: '33333333-3333-3333-3333-333333333333' },
    dave: { slack: 'U04DAVE' },
    erin: { slack: 'U05ERIN' },
  },
  roles: { requester: ['alice'], approver: ['carol', 'dave'], viewer: ['bob'] },
  vaults: {
    'kv-demo-payments': { roles: { approver: ['alice'] } },
    'kv-other': { roles: { approver: ['erin'] } },
  },
};

export const actor = {
  aliceSlack: { surface: 'slack', userId: 'U01ALICE' } as ChatActor,
  aliceTeams: { surface: 'teams', userId: ALICE_TEAMS } as ChatActor,
  bob: { surface: 'slack', userId: 'U02BOB' } as ChatActor,
  carol: { surface: 'slack', userId: 'U03CAROL' } as ChatActor,
  carolConsole: { surface: 'console', userId: 'carol' } as ChatActor,
  dave: { surface: 'console', userId: 'dave' } as ChatActor,
  erin: { surface: 'slack', userId: 'U05ERIN' } as ChatActor,
  stranger: { surface: 'slack', userId: 'U09NOBODY' } as ChatActor,
};

/** Counts side effects on the ports so tests can assert "exactly once". */
export class CountingPorts implements SecretVault, StorageKeyRotator {
  regenerations = 0;
  writes = 0;
  constructor(readonly inner: LocalVaultProvider) {}
  getSecretProperties(vault: string, name: string) {
    return this.inner.getSecretProperties(vault, name);
  }
  async setSecret(...args: Parameters<SecretVault['setSecret']>) {
    const r = await this.inner.setSecret(...args);
    this.writes++;
    return r;
  }
  getSecretValue(vault: string, name: string, version?: string) {
    return this.inner.getSecretValue(vault, name, version);
  }
  async regenerateKey(accountId: string, keyName: StorageKeyName) {
    await this.inner.regenerateKey(accountId, keyName);
    this.regenerations++;
  }
  listKeys(accountId: string) {
    return this.inner.listKeys(accountId);
  }
}

export interface Harness {
  clock: FakeClock;
  store: Store;
  provider: LocalVaultProvider;
  ports: CountingPorts;
  directory: Directory;
  service: RotationService;
  changes: RotationRecord[];
  /** A new service on the same store and ports (a restart). */
  restart(overrides?: { store?: Store; vault?: SecretVault; rotator?: StorageKeyRotator }): RotationService;
}

export async function makeHarness(
  options: { approvalsRequired?: number; store?: Store; newKeyValue?: () => string; logger?: Logger } = {},
): Promise<Harness> {
  const clock = new FakeClock(Date.parse('2025-06-02T12:00:00Z'));
  const store = options.store ?? new MemoryStore();
  const provider = new LocalVaultProvider(
    store,
    clock,
    options.newKeyValue ? { newKeyValue: options.newKeyValue } : {},
  );
  await seedDemoVault(provider, { nowMs: clock.now() });
  const ports = new CountingPorts(provider);
  const config = parseConfig(CONFIG, readEnv({}));
  const directory = new Directory(config);
  const changes: RotationRecord[] = [];
  const build = (o: { store?: Store; vault?: SecretVault; rotator?: StorageKeyRotator } = {}) =>
    new RotationService({
      store: o.store ?? store,
      vault: o.vault ?? ports,
      rotator: o.rotator ?? ports,
      directory,
      clock,
      config: { requestTtlMs: 3_600_000, approvalsRequired: options.approvalsRequired ?? 1 },
      onChange: (r) => {
        changes.push(r);
      },
      ...(options.logger ? { logger: options.logger } : {}),
    });
  return { clock, store, provider, ports, directory, service: build(), changes, restart: build };
}

export { DEMO_ACCOUNT_ID, DEMO_SECRET, DEMO_VAULT };

/** The audit trail of a rotation that ran from request to done, in order. */
export const FULL_TRAIL = [
  'rotation.requested',
  'rotation.approved',
  'rotation.regenerating',
  'rotation.writing-secret',
  'rotation.verifying',
  'rotation.done',
];
