/**
 * Reads the audit events of a local file for batch detection, parsing on worker threads when given a
 * pool: the file is cut into byte ranges, each worker reads and parses the lines that start in its
 * range, and the events come back here in file order. Only JSON Lines is split (a line is a record);
 * any other shape, a small file, or no pool means the sequential reader. Both give the same events and
 * the same `file:line: reason` reports.
 */
import { open } from 'node:fs/promises';
import type { MalformedRecord } from '../../audit/audit-event.js';
import { bomLength, detectFormat } from '../../audit/detect-format.js';
import { readAuditFileBatches } from '../../audit/read-audit.js';
import { EventCompactor, type RuleEvent } from '../rule-event.js';
import { parseRange } from './parse-range.js';
import type { ParseWorkers, Pending } from './parse-workers.js';

/** Bytes of file per worker request. */
const RANGE_BYTES = 256 * 1024;
/** Enough of the head to decide the format (see detectFormat). */
const HEAD_BYTES = 4096;
/** Files smaller than this are parsed on the detecting thread: handing them out would cost more than it saves. */
export const PARALLEL_MIN_BYTES = 8 * 1024 * 1024;

export interface ReadEventsOptions {
  /** Name used in malformed reports (default: the path). */
  readonly source?: string;
  onMalformed(m: MalformedRecord): void;
  /** Parse threads to use; without them the file is parsed here. */
  readonly workers?: ParseWorkers;
  /** Smallest file handed to the workers (default PARALLEL_MIN_BYTES). */
  readonly minParallelBytes?: number;
  /** Bytes per worker request (tests use small ones to put range boundaries everywhere). */
  readonly rangeBytes?: number;
}

/** The audit events of a file, a batch at a time, in file order (never an empty batch). */
export async function* readEventBatches(path: string, opts: ReadEventsOptions): AsyncGenerator<RuleEvent[]> {
  const source = opts.source ?? path;
  if (opts.workers) {
    const fh = await open(path, 'r');
    const slots: Slot[] = [];
    try {
      const size = (await fh.stat()).size;
      const head = Buffer.alloc(Math.min(size, HEAD_BYTES));
      await fh.read(head, 0, head.length, 0);
      const bom = bomLength(head);
      const parallel =
        size >= (opts.minParallelBytes ?? PARALLEL_MIN_BYTES) &&
        detectFormat(head.subarray(bom), head.length === size) === 'json-lines';
      if (parallel) {
        yield* inOrder(
          opts.workers,
          fh.fd,
          bom,
          size,
          opts.rangeBytes ?? RANGE_BYTES,
          slots,
          (line, reason) => opts.onMalformed({ source, line, reason }),
        );
        return;
      }
    } finally {
      // Workers read through this descriptor: it may only close once none is still reading.
      while (slots.some((s) => !s.result.chunk && !s.result.error)) await opts.workers.next();
      await fh.close();
    }
  }
  for await (const items of readAuditFileBatches(path, { source, onMalformed: opts.onMalformed })) {
    const events: RuleEvent[] = [];
    for (const item of items) if (item.kind === 'audit') events.push(item.event);
    if (events.length > 0) yield events;
  }
}

/** Ranges this thread parses itself, at most, ahead of the oldest range a worker still holds. */
const OWN_AHEAD = 2;
/** Ranges queued per worker, so a worker has work while this thread is busy between collections. */
const PER_WORKER = 3;

/** A range in file order: parsed here, or waiting for a worker's reply. */
interface Slot {
  readonly own: boolean;
  readonly result: Pending;
}

/**
 * Hands out the ranges of [from, size) and yields their events in file order, numbering malformed lines
 * from the line counts of the ranges before them. The workers keep a few ranges queued; while the oldest
 * one is not back, this thread parses the next range itself instead of waiting (a couple at most), so all
 * cores parse and the detecting thread never sits idle.
 */
async function* inOrder(
  workers: ParseWorkers,
  fd: number,
  from: number,
  size: number,
  rangeBytes: number,
  slots: Slot[],
  malformed: (line: number, reason: string) => void,
): AsyncGenerator<RuleEvent[]> {
  let next = from;
  let line = 1;
  const compactor = new EventCompactor();
  const take = () => {
    const start = next;
    next = Math.min(size, next + rangeBytes);
    return { start, end: next, lineStart: start === from };
  };
  for (;;) {
    workers.collect();
    // Always at least one range of this file in hand: the pool may be full of the ranges of other files read
    // at the same time (the batch merge reads the inputs that overlap in time), and no slot would end the file.
    while (next < size && (slots.length === 0 || workers.inFlight < workers.size * PER_WORKER)) {
      const r = take();
      slots.push({ own: false, result: workers.parse(fd, r.start, r.end, r.lineStart) });
    }
    const head = slots[0];
    if (!head) return;
    if (head.result.error) throw head.result.error;
    if (!head.result.chunk) {
      if (next < size && slots.filter((s) => s.own).length < OWN_AHEAD) {
        const r = take();
        const own = parseRange(fd, r.start, r.end, r.lineStart);
        // Compacted at once: the full events would otherwise wait for the ranges before them long
        // enough to be promoted to the old generation, and leave it full of garbage.
        const events = own.events.map((e) => compactor.compact(e));
        slots.push({ own: true, result: { chunk: { events, malformed: own.malformed, lines: own.lines } } });
      } else await workers.next();
      continue;
    }
    slots.shift();
    const chunk = head.result.chunk;
    for (const [at, reason] of chunk.malformed) malformed(line + at - 1, reason);
    line += chunk.lines;
    if (chunk.events.length > 0) yield chunk.events;
  }
}
