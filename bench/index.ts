/**
 * `npm run bench`: runs every benchmark module in bench/ (each exports `run(): Promise<BenchResult[]>`)
 * and prints their figures with ratios against baselines measured in the same run.
 * `BENCH_SCALE` (default 1) scales input sizes; `BENCH_ONLY=detect,queries` picks modules.
 */
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { BenchResult } from './types.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const only = process.env.BENCH_ONLY?.split(',').map((s) => s.trim());
const modules = readdirSync(here)
  .filter((f) => f.endsWith('.ts') && !['index.ts', 'types.ts'].includes(f) && !f.startsWith('_'))
  .map((f) => f.replace(/\.ts$/, ''))
  .filter((name) => !only || only.includes(name))
  .sort();

function fmt(n: number | undefined): string {
  if (n === undefined || Number.isNaN(n)) return '-';
  if (Math.abs(n) >= 1000) return Math.round(n).toLocaleString('en-US');
  return n.toFixed(Math.abs(n) >= 10 ? 1 : 3);
}

let failures = 0;
console.log(`kv-warden benchmarks (BENCH_SCALE=${process.env.BENCH_SCALE ?? '1'}, node ${process.version})`);
for (const name of modules) {
  const mod = (await import(pathToFileURL(path.join(here, `${name}.ts`)).href)) as {
    run?: () => Promise<BenchResult[]>;
  };
  if (typeof mod.run !== 'function') continue;
  console.log(`\n## ${name}`);
  try {
    for (const r of await mod.run()) {
      const ratio = r.ratio ?? (r.baseline ? r.value / r.baseline : undefined);
      const verdict = r.pass === undefined ? '' : r.pass ? ' PASS' : ' MISS';
      if (r.pass === false) failures++;
      console.log(
        `${r.name.padEnd(44)} ${fmt(r.value).padStart(14)} ${r.metric.padEnd(12)}` +
          (r.baseline !== undefined ? ` baseline ${fmt(r.baseline)}` : '') +
          (ratio !== undefined ? ` ratio ${ratio.toFixed(2)}` : '') +
          (r.target ? ` target ${r.target}` : '') +
          verdict +
          (r.note ? `  (${r.note})` : ''),
      );
    }
  } catch (err) {
    failures++;
    console.log(`${name}: failed: ${(err as Error).stack ?? err}`);
  }
}
console.log(`\n${failures === 0 ? 'all targets met' : `${failures} target(s) missed or failed`}`);
