/**
 * The thread `kv-warden detect` runs batch detection on for large inputs, with its own parse workers.
 * Its heap is capped (see run-detect-thread.ts), which is what keeps V8 from letting the old generation
 * grow to four times the live state between collections. Malformed-record reports are sent to the
 * calling thread in batches as they are found, then the alerts as JSON Lines.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { detectBatch } from '../batch.js';
import { toAlertJson } from '../group.js';
import { ParseWorkers } from './parse-workers.js';
import type { DetectThreadMessage, DetectThreadSetup } from './protocol.js';
import { readEventBatches } from './read-events.js';

const REPORT_BATCH = 256;

async function run(setup: DetectThreadSetup, send: (m: DetectThreadMessage) => void): Promise<void> {
  const workers = ParseWorkers.start(setup.threads, setup.parseCode);
  let reports: string[] = [];
  const flush = () => {
    if (reports.length > 0) send({ kind: 'malformed', lines: reports });
    reports = [];
  };
  try {
    const groups = await detectBatch(
      setup.files.map((f) => ({
        name: f.real,
        firstTimeMs: f.firstTimeMs,
        open: () =>
          readEventBatches(f.real, {
            source: f.shown,
            workers,
            onMalformed: (m) => {
              if (reports.push(`${m.source}:${m.line}: ${m.reason}`) >= REPORT_BATCH) flush();
            },
          }),
      })),
      setup.options,
    );
    flush();
    send({ kind: 'alerts', lines: groups.map((g) => JSON.stringify(toAlertJson(g))) });
  } finally {
    await workers.close();
  }
}

const port = parentPort;
if (port) {
  run(workerData as DetectThreadSetup, (m) => port.postMessage(m)).catch((err: unknown) =>
    port.postMessage({ kind: 'failed', message: err instanceof Error ? err.message : String(err) }),
  );
}
