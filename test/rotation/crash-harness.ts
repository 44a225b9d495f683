import type { SecretVault, StorageKeyName, StorageKeyRotator } from '../../src/rotation/ports.js';
import type { AuditTrailEntry, Store, Versioned } from '../../src/store/store.js';

/** Thrown by everything once the simulated process has died. */
export class Crash extends Error {
  constructor() {
    super('simulated crash: the process died');
  }
}

/** The simulated process: once killed, its store and ports refuse every call (nothing more gets persisted). */
export class Power {
  dead = false;
  kill(): never {
    this.dead = true;
    throw new Crash();
  }
  check(): void {
    if (this.dead) throw new Crash();
  }
}

/** A Store that dies right after a write whose value matches `dieAfter`. */
export class DyingStore implements Store {
  constructor(
    private readonly inner: Store,
    private readonly power: Power,
    private readonly dieAfter: (collection: string, value: unknown) => boolean = () => false,
  ) {}
  async get<T>(c: string, id: string) {
    this.power.check();
    return this.inner.get<T>(c, id);
  }
  async create<T>(c: string, id: string, v: T) {
    this.power.check();
    const r = await this.inner.create(c, id, v);
    if (this.dieAfter(c, v)) this.power.kill();
    return r;
  }
  async update<T>(c: string, id: string, v: T, ver: string): Promise<Versioned<T>> {
    this.power.check();
    const r = await this.inner.update(c, id, v, ver);
    if (this.dieAfter(c, v)) this.power.kill();
    return r;
  }
  async delete(c: string, id: string, ver?: string) {
    this.power.check();
    return this.inner.delete(c, id, ver);
  }
  async list<T>(c: string, o?: { prefix?: string; limit?: number }) {
    this.power.check();
    return this.inner.list<T>(c, o);
  }
  async appendAudit(e: AuditTrailEntry) {
    this.power.check();
    return this.inner.appendAudit(e);
  }
  async listAudit(s: string) {
    this.power.check();
    return this.inner.listAudit(s);
  }
  async markSeen(k: ReadonlyArray<{ key: string; timeMs: number }>) {
    this.power.check();
    return this.inner.markSeen(k);
  }
  async filterUnseen(k: ReadonlyArray<{ key: string; timeMs: number }>) {
    this.power.check();
    return this.inner.filterUnseen(k);
  }
  async pruneSeen(b: number) {
    this.power.check();
    return this.inner.pruneSeen(b);
  }
  async close() {}
}

export type PortCall = 'regenerateKey' | 'setSecret' | 'getSecretValue' | 'listKeys' | 'getSecretProperties';

/** Ports that die right after `dieAfter` completed (the side effect happened, nobody learned of it). */
export class DyingPorts implements SecretVault, StorageKeyRotator {
  constructor(
    private readonly inner: SecretVault & StorageKeyRotator,
    private readonly power: Power,
    private readonly dieAfter?: PortCall,
  ) {}
  private async call<T>(name: PortCall, work: () => Promise<T>): Promise<T> {
    this.power.check();
    const r = await work();
    if (name === this.dieAfter) this.power.kill();
    return r;
  }
  getSecretProperties(vault: string, name: string) {
    return this.call('getSecretProperties', () => this.inner.getSecretProperties(vault, name));
  }
  setSecret(...args: Parameters<SecretVault['setSecret']>) {
    return this.call('setSecret', () => this.inner.setSecret(...args));
  }
  getSecretValue(vault: string, name: string, version?: string) {
    return this.call('getSecretValue', () => this.inner.getSecretValue(vault, name, version));
  }
  regenerateKey(accountId: string, keyName: StorageKeyName) {
    return this.call('regenerateKey', () => this.inner.regenerateKey(accountId, keyName));
  }
  listKeys(accountId: string) {
    return this.call('listKeys', () => this.inner.listKeys(accountId));
  }
}
