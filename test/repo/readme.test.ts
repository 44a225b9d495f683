import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
// @ts-expect-error plain ESM script without type declarations
import { buildReadme } from '../../scripts/build-readme.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

describe('README.md', () => {
  it('is the assembly of docs/readme (run `node scripts/build-readme.mjs` after editing a topic)', () => {
    const built = (buildReadme as (dir: string) => string)(path.join(root, 'docs/readme'));
    expect(readFileSync(path.join(root, 'README.md'), 'utf8') === built).toBe(true);
  });
});
