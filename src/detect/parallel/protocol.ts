import type { MessagePort } from 'node:worker_threads';
import type { EngineOptions } from '../engine.js';
import type { WireBatch } from './event-wire.js';

/** What a parse worker is started with: the port for its replies, and the counter it bumps after each. */
export interface WorkerSetup {
  readonly replies: MessagePort;
  readonly signal: Int32Array;
}

/**
 * A range of a JSON Lines file for a parse worker: the worker parses the lines that START in
 * [start, end) — reading on past `end` to finish the last one — so consecutive ranges cover every line
 * exactly once. `fd` stays open until every range of the file is answered.
 */
export interface ChunkRequest {
  readonly seq: number;
  readonly fd: number;
  readonly start: number;
  readonly end: number;
  /** A line starts at `start` (the file's first range, after any BOM). */
  readonly lineStart: boolean;
}

/** A parse worker's answer to one range. */
export type ChunkReply =
  | {
      readonly seq: number;
      readonly batch: WireBatch;
      /** Malformed lines as [line within the range (1-based), reason]. */
      readonly malformed: [number, string][];
      /** Lines that start in the range. */
      readonly lines: number;
    }
  | { readonly seq: number; readonly error: string };

/** What the detect thread is started with. */
export interface DetectThreadSetup {
  /** Inputs, with the time of their first event (read beforehand, see batch.ts). */
  readonly files: readonly { real: string; shown: string; firstTimeMs: number | undefined }[];
  readonly options: EngineOptions;
  /** Parse worker threads to start, and their code. */
  readonly threads: number;
  readonly parseCode: string;
}

/** What the detect thread sends back: report lines as found, then the alerts (or why it failed). */
export type DetectThreadMessage =
  | { readonly kind: 'malformed'; readonly lines: string[] }
  | { readonly kind: 'alerts'; readonly lines: string[] }
  | { readonly kind: 'failed'; readonly message: string };

/** A URL a Worker can load `code` (an ES module) from. */
export function moduleUrl(code: string): URL {
  return new URL(`data:text/javascript,${encodeURIComponent(code)}`);
}
