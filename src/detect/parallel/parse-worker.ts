/**
 * A parse worker thread: parses the ranges of a JSON Lines file it is sent (parse-range.ts) and sends
 * back the rule fields of their events (event-wire.ts), their malformed lines and line counts, in the
 * order the requests arrived.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { WireEncoder } from './event-wire.js';
import { parseRange } from './parse-range.js';
import type { ChunkReply, ChunkRequest, WorkerSetup } from './protocol.js';

const encoder = new WireEncoder();
const setup = workerData as WorkerSetup | undefined;

/** Sends a reply and bumps the shared counter, waking the detecting thread if it sleeps on it. */
function reply(r: ChunkReply, transfer: ArrayBuffer[] = []): void {
  if (!setup) return;
  setup.replies.postMessage(r, transfer);
  Atomics.add(setup.signal, 0, 1);
  Atomics.notify(setup.signal, 0);
}

if (parentPort && setup) {
  parentPort.on('message', (req: ChunkRequest) => {
    try {
      const r = parseRange(req.fd, req.start, req.end, req.lineStart);
      const batch = encoder.encode(r.events);
      reply({ seq: req.seq, batch, malformed: r.malformed, lines: r.lines }, [
        batch.nums.buffer as ArrayBuffer,
      ]);
    } catch (err) {
      reply({ seq: req.seq, error: err instanceof Error ? err.message : String(err) });
    }
  });
}
