/**
 * The code of detect's worker threads, bundled from the TypeScript sources once per process. A worker
 * thread does not inherit the main thread's tsx loader on Node 20, and giving each its own would cost
 * every worker a loader thread, an esbuild process and ~0.4 s of CPU; a bundle loads in milliseconds.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

export interface WorkerCode {
  /** parse-worker.ts: parses ranges of a JSON Lines file. */
  readonly parse: string;
  /** detect-thread.ts: runs batch detection. */
  readonly detect: string;
}

let bundled: Promise<WorkerCode> | undefined;

export function workerCode(): Promise<WorkerCode> {
  bundled ??= build({
    entryPoints: ['parse-worker', 'detect-thread'].map((name) =>
      fileURLToPath(new URL(`./${name}.ts`, import.meta.url)),
    ),
    outdir: 'bundle',
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    write: false,
    logLevel: 'silent',
  }).then((r) => {
    const text = (name: string) => {
      const file = r.outputFiles.find((f) => path.basename(f.path) === `${name}.js`);
      if (!file) throw new Error(`worker bundle lacks ${name}.js`);
      return file.text;
    };
    return { parse: text('parse-worker'), detect: text('detect-thread') };
  });
  return bundled;
}
