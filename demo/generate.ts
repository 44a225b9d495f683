/**
 * Regenerates demo/audit-logs from demo/build-demo.ts (deterministic: the output is byte-identical).
 *
 *   node bin/run-ts.js demo/generate.ts [OUT_DIR]
 */
import { mkdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildDemoFiles } from './build-demo.js';

async function main(): Promise<void> {
  const here = path.dirname(fileURLToPath(import.meta.url));
  const out = path.resolve(process.argv[2] ?? path.join(here, 'audit-logs'));
  await rm(out, { recursive: true, force: true });
  const files = buildDemoFiles();
  let bytes = 0;
  let lines = 0;
  for (const [rel, text] of files) {
    const full = path.join(out, ...rel.split('/'));
    await mkdir(path.dirname(full), { recursive: true });
    await writeFile(full, text);
    bytes += Buffer.byteLength(text);
    lines += text.split('\n').length - 1;
  }
  console.log(`wrote ${lines} records in ${files.size} files (${(bytes / 1024 / 1024).toFixed(2)} MiB) to ${out}`);
}

await main();
