import { ConflictError } from '../errors.js';
import type { AuditTrailEntry, Store, Versioned } from './store.js';

/** An in-process Store for unit tests and single-shot commands. Same contract as the real adapters. */
export class MemoryStore implements Store {
  private readonly docs = new Map<string, Map<string, { value: string; version: number }>>();
  private readonly audit: AuditTrailEntry[] = [];
  private readonly seen = new Map<string, number>();

  private coll(name: string): Map<string, { value: string; version: number }> {
    let c = this.docs.get(name);
    if (!c) {
      c = new Map();
      this.docs.set(name, c);
    }
    return c;
  }

  async get<T>(collection: string, id: string): Promise<Versioned<T> | undefined> {
    const d = this.coll(collection).get(id);
    return d ? { value: JSON.parse(d.value) as T, version: String(d.version) } : undefined;
  }

  async create<T>(collection: string, id: string, value: T): Promise<Versioned<T> | undefined> {
    const c = this.coll(collection);
    if (c.has(id)) return undefined;
    c.set(id, { value: JSON.stringify(value), version: 1 });
    return { value: structuredClone(value), version: '1' };
  }

  async update<T>(collection: string, id: string, value: T, expectedVersion: string): Promise<Versioned<T>> {
    const c = this.coll(collection);
    const d = c.get(id);
    if (!d || String(d.version) !== expectedVersion) throw new ConflictError(`${collection}/${id}`);
    const next = { value: JSON.stringify(value), version: d.version + 1 };
    c.set(id, next);
    return { value: structuredClone(value), version: String(next.version) };
  }

  async delete(collection: string, id: string, expectedVersion?: string): Promise<void> {
    const c = this.coll(collection);
    const d = c.get(id);
    if (!d) return;
    if (expectedVersion !== undefined && String(d.version) !== expectedVersion) {
      throw new ConflictError(`${collection}/${id}`);
    }
    c.delete(id);
  }

  async list<T>(
    collection: string,
    options: { prefix?: string; limit?: number } = {},
  ): Promise<Array<Versioned<T> & { id: string }>> {
    const out = [...this.coll(collection).entries()]
      .filter(([id]) => options.prefix === undefined || id.startsWith(options.prefix))
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([id, d]) => ({ id, value: JSON.parse(d.value) as T, version: String(d.version) }));
    return options.limit === undefined ? out : out.slice(0, options.limit);
  }

  async appendAudit(entry: AuditTrailEntry): Promise<void> {
    this.audit.push({ ...entry });
  }

  async listAudit(subject: string): Promise<AuditTrailEntry[]> {
    return this.audit.filter((e) => e.subject === subject).map((e) => ({ ...e }));
  }

  async markSeen(keys: ReadonlyArray<{ key: string; timeMs: number }>): Promise<Set<string>> {
    const fresh = new Set<string>();
    for (const { key, timeMs } of keys) {
      if (this.seen.has(key) || fresh.has(key)) continue;
      this.seen.set(key, timeMs);
      fresh.add(key);
    }
    return fresh;
  }

  async filterUnseen(keys: ReadonlyArray<{ key: string; timeMs: number }>): Promise<Set<string>> {
    const unseen = new Set<string>();
    for (const { key } of keys) if (!this.seen.has(key)) unseen.add(key);
    return unseen;
  }

  async pruneSeen(beforeMs: number): Promise<number> {
    let n = 0;
    for (const [k, t] of this.seen) {
      if (t < beforeMs) {
        this.seen.delete(k);
        n++;
      }
    }
    return n;
  }

  async close(): Promise<void> {}
}
