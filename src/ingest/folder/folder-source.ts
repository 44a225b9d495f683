import { open } from 'node:fs/promises';
import { CHECKPOINTS, saveCheckpoint } from '../../app/pipeline-checkpoint.js';
import type { AuditItem, MalformedRecord } from '../../audit/audit-event.js';
import { parseChunk } from '../../audit/parse-chunk.js';
import type { Store } from '../../store/store.js';
import type { Logger } from '../../util/logger.js';
import type { Metrics } from '../../util/metrics.js';
import type { IntakePipeline } from '../pipeline.js';
import { type FoundFile, listFiles } from './list-files.js';

export interface FolderSourceOptions {
  /** Folder in the blob layout (`resourceId=/…/y=/m=/d=/h=/m=00/PT1H.json`); any file under it is read. */
  readonly root: string;
  /** Names this source in checkpoints and messages (`folder`, `demo`). */
  readonly name?: string;
  readonly pipeline: IntakePipeline;
  readonly store: Store;
  readonly logger: Logger;
  readonly metrics?: Metrics;
  /** How often to look for new files and appended lines. Default 1 s. */
  readonly pollMs?: number;
  /** Largest read per step. Default 4 MiB. */
  readonly chunkBytes?: number;
  /** Records collected (across files) before they are handed to the pipeline in one call. Default 5,000. */
  readonly batchItems?: number;
  /**
   * A file untouched for this long is complete: a last line without a newline (or a legacy
   * `{"records":[…]}` file) is parsed instead of waited for. Default 60 s.
   */
  readonly settleMs?: number;
  readonly now?: () => number;
  /** Called for every malformed record (besides the log line and the metric). */
  readonly onMalformed?: (record: MalformedRecord) => void;
}

/** Records read but not yet handed to the pipeline, and the file offsets they take us to. */
interface Batch {
  items: AuditItem[];
  readonly positions: Map<string, FileOffset>;
}

interface FileOffset {
  offset: number;
  /** Line number of the next unread line (1-based). */
  line: number;
}

const MAX_LINE_BYTES = 64 * 1024 * 1024;

/**
 * Tails a local folder like the blob forwarder tails append blobs: per-file byte offsets (checkpointed in
 * the store after the pipeline has made the records durable), new files and appended lines picked up
 * on every poll, and a half-written last line left for the next poll.
 */
export class FolderSource {
  private readonly name: string;
  private readonly pollMs: number;
  private readonly chunkBytes: number;
  private readonly batchItems: number;
  private readonly settleMs: number;
  private readonly now: () => number;
  private readonly offsets = new Map<string, FileOffset>();
  /** Store versions of the offset checkpoints this source wrote (it is their only writer). */
  private readonly versions = new Map<string, string>();
  private timer: NodeJS.Timeout | undefined;
  private current: Promise<void> | undefined;
  private stopped = false;
  private ready = false;
  malformed = 0;

  constructor(private readonly options: FolderSourceOptions) {
    this.name = options.name ?? 'folder';
    this.pollMs = options.pollMs ?? 1_000;
    this.chunkBytes = options.chunkBytes ?? 4 * 1024 * 1024;
    this.batchItems = options.batchItems ?? 5_000;
    this.settleMs = options.settleMs ?? 60_000;
    this.now = options.now ?? Date.now;
  }

  /** True once the first pass over the folder has completed. */
  get connected(): boolean {
    return this.ready;
  }

  /** Runs the first pass, then polls until stopped. */
  async start(): Promise<void> {
    await this.poll();
    this.ready = true;
    this.schedule();
  }

  /** Stops polling and waits for the read in progress. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    await this.current;
  }

  /** One pass over every file; resolves when all new complete lines are ingested. */
  poll(): Promise<void> {
    if (!this.current) {
      this.current = this.pass().finally(() => {
        this.current = undefined;
      });
    }
    return this.current;
  }

  private schedule(): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.poll()
        .catch((err) => this.options.logger.error({ err, source: this.name }, 'folder poll failed'))
        .finally(() => this.schedule());
    }, this.pollMs);
    this.timer.unref();
  }

  private async pass(): Promise<void> {
    const files = await listFiles(this.options.root);
    const batch: Batch = { items: [], positions: new Map() };
    try {
      for (const file of files) {
        if (this.stopped) break;
        await this.readFile(file, batch);
      }
    } finally {
      await this.flush(batch);
    }
  }

  /**
   * Hands the collected records to the pipeline in one call (many small hourly files make one batch),
   * then, once they are durable, advances and stores the offsets of every file they came from.
   */
  private async flush(batch: Batch): Promise<void> {
    if (batch.positions.size === 0) return;
    const first = batch.positions.keys().next().value as string;
    if (batch.items.length > 0)
      await this.options.pipeline.ingest(batch.items, { source: `${this.name}:${first}` });
    for (const [relative, position] of batch.positions) {
      this.offsets.set(relative, position);
      const id = `${this.name}:${relative}`;
      this.versions.set(id, await saveCheckpoint(this.options.store, id, position, this.versions.get(id)));
    }
    batch.items = [];
    batch.positions.clear();
  }

  private checkpointId(file: FoundFile): string {
    return `${this.name}:${file.relative}`;
  }

  private async offsetOf(file: FoundFile): Promise<FileOffset> {
    const known = this.offsets.get(file.relative);
    if (known) return known;
    const stored = await this.options.store.get<FileOffset>(CHECKPOINTS, this.checkpointId(file));
    const offset = stored?.value ?? { offset: 0, line: 1 };
    this.offsets.set(file.relative, offset);
    return offset;
  }

  private async readFile(file: FoundFile, batch: Batch): Promise<void> {
    const { logger } = this.options;
    let position = await this.offsetOf(file);
    if (file.size < position.offset) {
      logger.warn(
        { file: file.relative, offset: position.offset, size: file.size },
        'file shrank; reading it again from the start',
      );
      position = { offset: 0, line: 1 };
    }
    if (file.size === position.offset) return;
    const handle = await open(file.path, 'r');
    try {
      let readSize = this.chunkBytes;
      while (!this.stopped) {
        const { size, mtimeMs } = await handle.stat();
        if (size <= position.offset) break;
        const length = Math.min(readSize, size - position.offset);
        const settled = length === size - position.offset && this.now() - mtimeMs >= this.settleMs;
        const buf = Buffer.alloc(length);
        const { bytesRead } = await handle.read(buf, 0, length, position.offset);
        if (bytesRead === 0) break;
        const parsed = parseChunk(buf.subarray(0, bytesRead), {
          source: file.path,
          firstLine: position.line,
          complete: settled,
        });
        for (const m of parsed.malformed) this.reportMalformed(m);
        if (parsed.consumedBytes === 0) {
          // Only a partial line: wait for the writer, unless the line is longer than one read.
          if (bytesRead < length || length < readSize || readSize >= MAX_LINE_BYTES) {
            if (readSize >= MAX_LINE_BYTES)
              logger.error({ file: file.relative, line: position.line }, 'line longer than 64 MiB; waiting');
            break;
          }
          readSize *= 2;
          continue;
        }
        readSize = this.chunkBytes;
        for (const item of parsed.items) batch.items.push(item);
        position = { offset: position.offset + parsed.consumedBytes, line: position.line + parsed.lines };
        batch.positions.set(file.relative, position);
        if (batch.items.length >= this.batchItems) await this.flush(batch);
      }
    } finally {
      await handle.close();
    }
  }

  private reportMalformed(m: MalformedRecord): void {
    this.malformed++;
    this.options.metrics?.malformedRecords.inc({ source: this.name });
    this.options.logger.warn(`${m.source}:${m.line}: ${m.reason}`);
    this.options.onMalformed?.(m);
  }
}
