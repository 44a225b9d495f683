/**
 * The Store port: a small versioned document store with compare-and-swap, plus an append-only
 * audit trail and an event-key set for idempotent intake. DuckDB (embedded) and Azure Table
 * Storage (scale-out) implement it behind one contract test suite.
 *
 * Collections used by the domain (ids are free-form strings; adapters encode them as needed):
 *  - `alerts`        alert documents (src/alerts)
 *  - `fingerprints`  fingerprint → id of the alert currently grouping it
 *  - `cards`         where a card was posted: `${subjectId}|${surface}` → CardLocation
 *  - `outbox`        pending chat deliveries
 *  - `checkpoints`   detector state per vault, blob offsets, forwarder state
 *  - `notices`       Event Grid expiry notices already turned into cards
 *  - `policy-notices` Event Grid VaultAccessPolicyChanged notices, for linking to access-policy alerts
 *  - `rotations`     rotation requests and their execution steps
 *  - `conversations` Teams conversation references recorded at install
 *  - `local-vault`   the embedded local vault provider (secrets metadata, storage keys)
 */
export interface Store {
  /** Reads a document; undefined when absent. */
  get<T>(collection: string, id: string): Promise<Versioned<T> | undefined>;
  /** Creates if absent. Returns the stored document, or undefined when the id already existed (nothing written). */
  create<T>(collection: string, id: string, value: T): Promise<Versioned<T> | undefined>;
  /** Replaces only if the stored version equals `expectedVersion`; throws ConflictError otherwise (or if absent). */
  update<T>(collection: string, id: string, value: T, expectedVersion: string): Promise<Versioned<T>>;
  /** Deletes; with `expectedVersion`, only if it matches (ConflictError otherwise). Absent is not an error. */
  delete(collection: string, id: string, expectedVersion?: string): Promise<void>;
  /** All documents of a collection whose id starts with `prefix` (all when omitted), ordered by id. */
  list<T>(
    collection: string,
    options?: { prefix?: string; limit?: number },
  ): Promise<Array<Versioned<T> & { id: string }>>;

  /** Appends to the audit trail of `subject` (an alert id, rotation id, …). */
  appendAudit(entry: AuditTrailEntry): Promise<void>;
  /** The audit trail of a subject, oldest first. */
  listAudit(subject: string): Promise<AuditTrailEntry[]>;

  /**
   * Records event keys as processed. Returns the subset that was NOT seen before (the ones to process).
   * `timeMs` is the event time, used to prune keys older than the retention. A key always comes with the
   * same `timeMs` (event keys hash the event time), so adapters may use it to narrow lookups.
   */
  markSeen(keys: ReadonlyArray<{ key: string; timeMs: number }>): Promise<Set<string>>;
  /**
   * The subset of `keys` not recorded as seen. Reads only: the intake pipeline marks keys once the
   * detector checkpoint covering them is stored, so a crash in between leaves them unseen (delivered again).
   */
  filterUnseen(keys: ReadonlyArray<{ key: string; timeMs: number }>): Promise<Set<string>>;
  /** Forgets event keys with event time before `beforeMs`. */
  pruneSeen(beforeMs: number): Promise<number>;

  close(): Promise<void>;
}

export interface Versioned<T> {
  readonly value: T;
  /** Opaque: an integer counter (DuckDB) or an ETag (Azure Table). */
  readonly version: string;
}

export interface AuditTrailEntry {
  /** The thing the entry is about: an alert id, rotation id, … */
  readonly subject: string;
  /** ISO time. */
  readonly at: string;
  /** Person name from `people`, or `system`. */
  readonly actor: string;
  /** e.g. `acknowledge`, `close`, `escalate`, `approve`, `rotation.regenerating`. */
  readonly action: string;
  readonly detail?: string;
  /** Chat account that did it, e.g. `slack:U01ALICE`. */
  readonly via?: string;
}

/** Retries a read-modify-write until the CAS wins, at most `attempts` times. */
export async function casUpdate<T>(
  store: Store,
  collection: string,
  id: string,
  mutate: (current: T) => T | undefined,
  attempts = 5,
): Promise<Versioned<T> | undefined> {
  for (let i = 0; i < attempts; i++) {
    const current = await store.get<T>(collection, id);
    if (!current) return undefined;
    const next = mutate(current.value);
    if (next === undefined) return current;
    try {
      return await store.update(collection, id, next, current.version);
    } catch (err) {
      if ((err as { code?: string }).code !== 'KVW_CONFLICT' || i === attempts - 1) throw err;
    }
  }
  return undefined;
}
