import type { TokenCredential } from '@azure/core-auth';
import { odata, TableClient, type TableEntityResult } from '@azure/data-tables';
import { ConflictError } from '../../errors.js';
import type { AuditTrailEntry, Store, Versioned } from '../store.js';
import { asciiJson, joinBody, splitBody } from './body-chunks.js';
import { SeenKeysTable } from './seen-keys-table.js';
import { isAlreadyExists, isConditionFailed, isNotFound } from './table-errors.js';
import { checkCollection, decodeKey, encodeKey, prefixRange } from './table-keys.js';

/** Where the tables live: Azurite/connection string, or an endpoint with an Entra credential (production). */
export type AzureTableTarget =
  | { connectionString: string; tablePrefix: string }
  | { endpoint: string; credential: TokenCredential; tablePrefix: string };

type DocEntity = Record<string, unknown>;

/**
 * The scale-out Store: Azure Table Storage shared by replicas. Documents are entities (PartitionKey =
 * collection, RowKey = hex-encoded id) and their version is the ETag, so every conditional write is an
 * If-Match on the service: 412 means another replica won.
 */
export class AzureTableStore implements Store {
  private lastAuditMicros = 0;

  private constructor(
    private readonly docs: TableClient,
    private readonly audit: TableClient,
    private readonly seen: SeenKeysTable,
  ) {}

  /** Connects and creates the three tables (`<prefix>Documents`, `<prefix>Audit`, `<prefix>Seen`) if absent. */
  static async open(target: AzureTableTarget): Promise<AzureTableStore> {
    const client = (suffix: string) => {
      const name = `${target.tablePrefix}${suffix}`;
      return 'connectionString' in target
        ? TableClient.fromConnectionString(target.connectionString, name, {
            allowInsecureConnection: target.connectionString.includes('http://'),
          })
        : new TableClient(target.endpoint, name, target.credential);
    };
    const docs = client('Documents');
    const audit = client('Audit');
    const seen = client('Seen');
    // createTable tolerates "already exists".
    await Promise.all([docs.createTable(), audit.createTable(), seen.createTable()]);
    return new AzureTableStore(docs, audit, new SeenKeysTable(seen));
  }

  async get<T>(collection: string, id: string): Promise<Versioned<T> | undefined> {
    try {
      const e = await this.docs.getEntity<DocEntity>(checkCollection(collection), encodeKey(id));
      return { value: JSON.parse(joinBody(e)) as T, version: e.etag };
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
  }

  async create<T>(collection: string, id: string, value: T): Promise<Versioned<T> | undefined> {
    const json = asciiJson(value);
    try {
      const res = await this.docs.createEntity({
        partitionKey: checkCollection(collection),
        rowKey: encodeKey(id),
        ...splitBody(json),
      });
      return { value: JSON.parse(json) as T, version: String(res.etag) };
    } catch (err) {
      if (isAlreadyExists(err)) return undefined;
      throw err;
    }
  }

  async update<T>(collection: string, id: string, value: T, expectedVersion: string): Promise<Versioned<T>> {
    const json = asciiJson(value);
    try {
      const res = await this.docs.updateEntity(
        { partitionKey: checkCollection(collection), rowKey: encodeKey(id), ...splitBody(json) },
        'Replace',
        { etag: expectedVersion },
      );
      return { value: JSON.parse(json) as T, version: String(res.etag) };
    } catch (err) {
      // 404: absent; 412: stale ETag; 400: not an ETag at all. All mean "your version is not the stored one".
      if (isConditionFailed(err) || isNotFound(err) || isBadEtag(err)) {
        throw new ConflictError(`${collection}/${id}`);
      }
      throw err;
    }
  }

  async delete(collection: string, id: string, expectedVersion?: string): Promise<void> {
    try {
      await this.docs.deleteEntity(
        checkCollection(collection),
        encodeKey(id),
        expectedVersion === undefined ? {} : { etag: expectedVersion },
      );
    } catch (err) {
      if (isNotFound(err)) return;
      // A malformed ETag is refused (400) before the service looks the entity up: absent is still "done".
      if (isBadEtag(err) && !(await this.get(collection, id))) return;
      if (isConditionFailed(err) || isBadEtag(err)) throw new ConflictError(`${collection}/${id}`);
      throw err;
    }
  }

  async list<T>(
    collection: string,
    options: { prefix?: string; limit?: number } = {},
  ): Promise<Array<Versioned<T> & { id: string }>> {
    const pk = checkCollection(collection);
    let filter = odata`PartitionKey eq ${pk}`;
    if (options.prefix) {
      const { lower, upper } = prefixRange(options.prefix);
      filter = odata`PartitionKey eq ${pk} and RowKey ge ${lower} and RowKey lt ${upper}`;
    }
    const out: Array<Versioned<T> & { id: string }> = [];
    if (options.limit !== undefined && options.limit <= 0) return out;
    // The service returns entities in PartitionKey, RowKey order, which is id order (see table-keys.ts).
    for await (const e of this.docs.listEntities<DocEntity>({ queryOptions: { filter } })) {
      out.push(toListed<T>(e));
      if (options.limit !== undefined && out.length >= options.limit) break;
    }
    return out;
  }

  async appendAudit(entry: AuditTrailEntry): Promise<void> {
    // Microseconds since the epoch, strictly increasing within this process, plus a random tail so two
    // replicas appending in the same microsecond do not collide. Order across replicas is by time.
    this.lastAuditMicros = Math.max(Date.now() * 1000, this.lastAuditMicros + 1);
    const rowKey = `${String(this.lastAuditMicros).padStart(17, '0')}-${Math.random().toString(36).slice(2, 10)}`;
    await this.audit.createEntity({
      partitionKey: encodeKey(entry.subject),
      rowKey,
      at: entry.at,
      actor: entry.actor,
      action: entry.action,
      ...(entry.detail === undefined ? {} : { detail: entry.detail }),
      ...(entry.via === undefined ? {} : { via: entry.via }),
    });
  }

  async listAudit(subject: string): Promise<AuditTrailEntry[]> {
    const out: AuditTrailEntry[] = [];
    const filter = odata`PartitionKey eq ${encodeKey(subject)}`;
    for await (const e of this.audit.listEntities<Record<string, string>>({ queryOptions: { filter } })) {
      out.push({
        subject,
        at: String(e.at),
        actor: String(e.actor),
        action: String(e.action),
        ...(typeof e.detail === 'string' ? { detail: e.detail } : {}),
        ...(typeof e.via === 'string' ? { via: e.via } : {}),
      });
    }
    return out;
  }

  markSeen(keys: ReadonlyArray<{ key: string; timeMs: number }>): Promise<Set<string>> {
    return this.seen.markSeen(keys);
  }

  filterUnseen(keys: ReadonlyArray<{ key: string; timeMs: number }>): Promise<Set<string>> {
    return this.seen.filterUnseen(keys);
  }

  pruneSeen(beforeMs: number): Promise<number> {
    return this.seen.pruneSeen(beforeMs);
  }

  async close(): Promise<void> {
    // TableClient holds no connection that needs closing.
  }
}

function toListed<T>(e: TableEntityResult<DocEntity>): Versioned<T> & { id: string } {
  return { id: decodeKey(e.rowKey ?? ''), value: JSON.parse(joinBody(e)) as T, version: e.etag };
}

function isBadEtag(err: unknown): boolean {
  const e = err as { statusCode?: number; details?: { errorCode?: string } };
  return e?.statusCode === 400 && /condition|etag|InvalidInput/i.test(String(e.details?.errorCode ?? ''));
}
