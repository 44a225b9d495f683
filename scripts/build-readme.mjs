// Assembles README.md from docs/readme/*.md: 00-intro first, then the topics in reading order (a topic not
// listed comes after them, by name), 90-errors last. `test/repo/readme.test.ts` fails when README.md is stale.
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const ORDER = [
  'serve',
  'audit',
  'detection',
  'alerts',
  'store',
  'chat',
  'ingest',
  'queries',
  'rotation',
  'deploy',
  'operations',
  'security',
  'troubleshooting',
];

export function buildReadme(dir = 'docs/readme') {
  const rank = (f) => {
    if (/^\d\d-/.test(f)) return f;
    const i = ORDER.indexOf(f.replace(/\.md$/, ''));
    return i >= 0 ? `50-${String(i).padStart(2, '0')}` : `60-${f}`;
  };
  return `${readdirSync(dir)
    .filter((f) => f.endsWith('.md'))
    .sort((a, b) => rank(a).localeCompare(rank(b)))
    .map((f) => readFileSync(`${dir}/${f}`, 'utf8').trim())
    .join('\n\n')}\n`;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) writeFileSync('README.md', buildReadme());
