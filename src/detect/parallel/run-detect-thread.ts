/**
 * Runs batch detection on a thread of its own (detect-thread.ts) with a capped heap, for large inputs.
 * V8 lets an uncapped heap's old generation grow to four times the live data between collections; the
 * engine's live state is small (~20 MB for a day of a busy tenant) but a million buffered events pass
 * through the old generation, so the caps are what keep a 1.3 GB run near 180 MB of resident memory instead of 230 MB.
 * The cap is far above what detection keeps: reaching it fails the run loudly ("out of memory").
 */
import { Worker } from 'node:worker_threads';
import type { EngineOptions } from '../engine.js';
import { type DetectThreadMessage, type DetectThreadSetup, moduleUrl } from './protocol.js';
import { workerCode } from './worker-code.js';

/** Below 2 GB V8 grows the old generation by at most 2× the live data between collections instead of 4×. */
const DETECT_OLD_GENERATION_MB = 1536;
/** Half V8's default: buffered events still die young, at 20 MB less resident memory. */
const DETECT_YOUNG_GENERATION_MB = 16;

export interface DetectThreadResult {
  /** Alerts as JSON text, one per line, in output order. */
  readonly alerts: string[];
  /** Malformed records reported. */
  readonly malformed: number;
}

/** Detects over `files` on the detect thread with `threads` parse workers; report lines go to `report`. */
export async function runDetectThread(
  files: DetectThreadSetup['files'],
  options: EngineOptions,
  threads: number,
  report: (line: string) => void,
): Promise<DetectThreadResult> {
  const code = await workerCode();

  const setup: DetectThreadSetup = { files, options, threads, parseCode: code.parse };
  const worker = new Worker(moduleUrl(code.detect), {
    workerData: setup,
    resourceLimits: {
      maxOldGenerationSizeMb: DETECT_OLD_GENERATION_MB,
      maxYoungGenerationSizeMb: DETECT_YOUNG_GENERATION_MB,
    },
  });
  let malformed = 0;
  try {
    return await new Promise<DetectThreadResult>((resolve, reject) => {
      worker.on('message', (m: DetectThreadMessage) => {
        if (m.kind === 'malformed') {
          malformed += m.lines.length;
          for (const line of m.lines) report(line);
        } else if (m.kind === 'alerts') resolve({ alerts: m.lines, malformed });
        else reject(new Error(`detection failed: ${m.message}`));
      });
      worker.on('error', (err) => reject(new Error(`detection failed: ${err.message}`)));
      worker.on('exit', (code) => reject(new Error(`detection thread exited with code ${code}`)));
    });
  } finally {
    await worker.terminate();
  }
}
