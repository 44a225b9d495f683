import type { Store } from '../../store/store.js';

/** Store collection shared with the intake pipeline's detector checkpoint (ids never collide: `blob:` prefix). */
export const CHECKPOINTS = 'checkpoints';

/** How far one blob has been forwarded. Written only after the chunk's send resolved. */
export interface BlobCheckpoint {
  /** Bytes consumed (always at a line boundary for JSON Lines). */
  readonly offset: number;
  /** Line number of the next unread line (1-based), for `file:line` reports. */
  readonly line: number;
  /** Block blobs: the ETag read whole; a new ETag means the blob was rewritten. */
  readonly etag?: string;
  /** Blob lastModified when the checkpoint last reached the end of the blob (lag metric). */
  readonly caughtUpMs?: number;
}

/** Forwarder cursor: hours before `fromHourMs` are settled (every blob read to its end, no more appends). */
export interface ForwarderCursor {
  readonly fromHourMs: number;
}

/** Per-blob byte-offset checkpoints over the Store port (DuckDB embedded, Table Storage in scale-out). */
export class BlobCheckpoints {
  constructor(
    private readonly store: Store,
    private readonly container: string,
  ) {}

  private id(name: string): string {
    return `blob:${this.container}/${name}`;
  }

  async get(name: string): Promise<{ value: BlobCheckpoint; version: string } | undefined> {
    return this.store.get<BlobCheckpoint>(CHECKPOINTS, this.id(name));
  }

  /** Writes with compare-and-swap on the version read; a ConflictError means another forwarder moved it. */
  async put(name: string, value: BlobCheckpoint, version: string | undefined): Promise<string> {
    if (version === undefined) {
      const created = await this.store.create(CHECKPOINTS, this.id(name), value);
      if (created) return created.version;
      const current = await this.get(name);
      return (await this.store.update(CHECKPOINTS, this.id(name), value, current!.version)).version;
    }
    return (await this.store.update(CHECKPOINTS, this.id(name), value, version)).version;
  }

  async cursor(): Promise<{ value: ForwarderCursor; version: string } | undefined> {
    return this.store.get<ForwarderCursor>(CHECKPOINTS, `forwarder:${this.container}`);
  }

  async putCursor(value: ForwarderCursor, version: string | undefined): Promise<void> {
    const id = `forwarder:${this.container}`;
    if (version === undefined) {
      if (await this.store.create(CHECKPOINTS, id, value)) return;
      const current = await this.cursor();
      await this.store.update(CHECKPOINTS, id, value, current!.version);
      return;
    }
    await this.store.update(CHECKPOINTS, id, value, version);
  }
}
