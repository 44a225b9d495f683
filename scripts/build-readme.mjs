// Assembles README.md from docs/readme/*.md in name order (00-intro first, 90-errors last).
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';

const order = (f) => (/^\d\d-/.test(f) ? f : `50-${f}`);
const parts = readdirSync('docs/readme')
  .filter((f) => f.endsWith('.md'))
  .sort((a, b) => order(a).localeCompare(order(b)))
  .map((f) => readFileSync(`docs/readme/${f}`, 'utf8').trim());
writeFileSync('README.md', `${parts.join('\n\n')}\n`);
