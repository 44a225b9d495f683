/**
 * A small pool of parse worker threads. Requests go to the least busy worker. Replies come back on a
 * port per worker that the detecting thread reads synchronously (`collect`), so it can take what is ready
 * between its own work without giving up its turn; a shared counter lets it sleep until the next reply.
 * Each reply is decoded as it is collected (a worker's string table is mirrored in the order it sent its
 * batches). A worker that fails fails every range it holds: nothing is skipped silently.
 */
import { MessageChannel, type MessagePort, receiveMessageOnPort, Worker } from 'node:worker_threads';
import type { RuleEvent } from '../rule-event.js';
import { WireDecoder } from './event-wire.js';
import { type ChunkReply, type ChunkRequest, moduleUrl, type WorkerSetup } from './protocol.js';

/** A parsed range: its events in file order, its malformed lines and how many lines it held. */
export interface ParsedChunk {
  readonly events: RuleEvent[];
  readonly malformed: readonly [line: number, reason: string][];
  readonly lines: number;
}

/** A request's outcome, filled in when its reply is collected. */
export interface Pending {
  chunk?: ParsedChunk;
  error?: Error;
}

/** A worker's garbage dies within one range: a small young generation is enough. */
const WORKER_YOUNG_GENERATION_MB = 8;
/**
 * A worker keeps only its string table; a small cap also makes V8 collect the old generation at 1.3× its
 * live data rather than 4×. Far above need: a 4 MiB junk line parses in a few MB.
 */
const WORKER_OLD_GENERATION_MB = 256;

class ParseThread {
  readonly pending = new Map<number, Pending>();
  private readonly decoder = new WireDecoder();
  private failure: Error | undefined;

  constructor(
    private readonly worker: Worker,
    private readonly replies: MessagePort,
    private readonly wake: () => void,
  ) {
    worker.on('error', (err) => this.fail(err));
    worker.on('exit', (code) => this.fail(new Error(`parse worker exited with code ${code}`)));
  }

  send(req: ChunkRequest): Pending {
    const p: Pending = {};
    if (this.failure) p.error = this.failure;
    else {
      this.pending.set(req.seq, p);
      this.worker.postMessage(req);
    }
    return p;
  }

  /** Takes every reply that has arrived; returns how many. */
  collect(): number {
    let n = 0;
    for (let m = receiveMessageOnPort(this.replies); m; m = receiveMessageOnPort(this.replies)) {
      const reply = m.message as ChunkReply;
      const p = this.pending.get(reply.seq);
      this.pending.delete(reply.seq);
      n++;
      if (!p) continue;
      if ('error' in reply) p.error = new Error(`parse worker: ${reply.error}`);
      else
        p.chunk = {
          events: this.decoder.decode(reply.batch),
          malformed: reply.malformed,
          lines: reply.lines,
        };
    }
    return n;
  }

  terminate(): Promise<number> {
    this.failure ??= new Error('parse workers closed');
    this.replies.close();
    return this.worker.terminate();
  }

  private fail(err: Error): void {
    this.failure ??= err;
    for (const p of this.pending.values()) p.error = this.failure;
    this.pending.clear();
    this.wake();
  }
}

export class ParseWorkers {
  private seq = 0;

  private constructor(
    private readonly threads: readonly ParseThread[],
    /** Replies sent so far by all workers (for sleeping until the next one). */
    private readonly signal: Int32Array,
  ) {}

  /** Starts `count` worker threads (at least one) running `code` (see worker-code.ts). */
  static start(count: number, code: string): ParseWorkers {
    const url = moduleUrl(code);
    const signal = new Int32Array(new SharedArrayBuffer(4));
    const wake = () => {
      Atomics.add(signal, 0, 1);
      Atomics.notify(signal, 0);
    };
    const threads = Array.from({ length: Math.max(1, count) }, () => {
      const { port1, port2 } = new MessageChannel();
      const setup: WorkerSetup = { replies: port2, signal };
      const worker = new Worker(url, {
        workerData: setup,
        transferList: [port2],
        resourceLimits: {
          maxYoungGenerationSizeMb: WORKER_YOUNG_GENERATION_MB,
          maxOldGenerationSizeMb: WORKER_OLD_GENERATION_MB,
        },
      });
      return new ParseThread(worker, port1, wake);
    });
    return new ParseWorkers(threads, signal);
  }

  get size(): number {
    return this.threads.length;
  }

  /** Requests sent whose replies have not been collected. */
  get inFlight(): number {
    let n = 0;
    for (const t of this.threads) n += t.pending.size;
    return n;
  }

  /**
   * Asks for the lines of the JSON Lines file open as `fd` that start in [start, end) (see ChunkRequest);
   * `lineStart` when a line starts at `start`. The outcome appears in the result once collected.
   */
  parse(fd: number, start: number, end: number, lineStart: boolean): Pending {
    let idlest = this.threads[0]!;
    for (const t of this.threads) if (t.pending.size < idlest.pending.size) idlest = t;
    return idlest.send({ seq: this.seq++, fd, start, end, lineStart });
  }

  /** Takes every reply that has arrived, without waiting; returns how many. */
  collect(): number {
    let n = 0;
    for (const t of this.threads) n += t.collect();
    return n;
  }

  /** Waits until a reply has arrived and collects it, or until a worker failed. */
  async next(): Promise<void> {
    const seen = Atomics.load(this.signal, 0);
    if (this.collect() > 0) return;
    const w = waitAsync(this.signal, 0, seen);
    if (w.async) await w.value;
    this.collect();
  }

  async close(): Promise<void> {
    await Promise.all(this.threads.map((t) => t.terminate()));
  }
}

/** `Atomics.waitAsync` (Node ≥ 16; typed from ES2024, beyond this project's ES2023 library). */
const waitAsync = (
  Atomics as unknown as {
    waitAsync(
      a: Int32Array,
      index: number,
      value: number,
    ): { async: false; value: string } | { async: true; value: Promise<string> };
  }
).waitAsync;
