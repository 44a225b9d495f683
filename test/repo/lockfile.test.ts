import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

interface LockEntry {
  readonly optionalDependencies?: Record<string, string>;
}

const lock = JSON.parse(readFileSync(new URL('../../package-lock.json', import.meta.url), 'utf8')) as {
  packages: Record<string, LockEntry>;
};
const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
  dependencies: Record<string, string>;
  devDependencies: Record<string, string>;
};

/** Where npm would look up `name` from the package installed at `from` (nested first, then hoisted). */
function resolves(from: string, name: string): boolean {
  let dir = from;
  for (;;) {
    if (`${dir}${dir ? '/' : ''}node_modules/${name}` in lock.packages) return true;
    const cut = dir.lastIndexOf('/node_modules/');
    if (cut < 0) return dir !== '' ? `node_modules/${name}` in lock.packages : false;
    dir = dir.slice(0, cut);
  }
}

describe('package-lock.json', () => {
  it('lists every platform variant of every optional dependency, so `npm ci` works on any machine', () => {
    const missing: string[] = [];
    for (const [at, entry] of Object.entries(lock.packages)) {
      for (const name of Object.keys(entry.optionalDependencies ?? {})) {
        if (!resolves(at, name)) missing.push(`${at || '(root)'} → ${name}`);
      }
    }
    expect(missing).toEqual([]);
  });

  it('pins every direct dependency to an exact version that the lockfile holds', () => {
    const wanted = { ...pkg.dependencies, ...pkg.devDependencies };
    const wrong = Object.entries(wanted).filter(
      ([name, version]) =>
        !/^\d+\.\d+\.\d+/.test(version) ||
        (lock.packages[`node_modules/${name}`] as { version?: string } | undefined)?.version !== version,
    );
    expect(wrong).toEqual([]);
  });
});
