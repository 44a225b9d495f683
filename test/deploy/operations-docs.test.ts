import { describe, expect, it } from 'vitest';
import { filesUnder, read, stripComments } from './bicep-text.js';

/** Metric names registered anywhere in src (prom-client `name: 'kvwarden_…'`). */
function registeredMetrics(): string[] {
  const names = new Set<string>();
  for (const file of filesUnder('src', '.ts')) {
    for (const m of stripComments(read(file)).matchAll(/\bname:\s*'(kvwarden_[a-z0-9_]+)'/g))
      names.add(m[1]!);
  }
  return [...names].sort();
}

describe('operations docs stay in step with the code', () => {
  it('documents every Prometheus metric the code registers', () => {
    const metrics = registeredMetrics();
    expect(metrics.length).toBeGreaterThan(5);
    const doc = read('docs/readme/operations.md');
    expect(metrics.filter((m) => !doc.includes(`\`${m}\``))).toEqual([]);
  });

  it('documents every key the logger redacts', () => {
    const list = /REDACTED_KEYS\s*=\s*\[([^\]]*)\]/.exec(read('src/util/logger.ts'))?.[1] ?? '';
    const keys = [...list.matchAll(/'([^']+)'/g)].map((m) => m[1]!);
    expect(keys.length).toBeGreaterThan(5);
    const doc = read('docs/readme/operations.md');
    expect(keys.filter((k) => !doc.includes(`\`${k}\``))).toEqual([]);
  });

  it('names every error code in the troubleshooting or security guide', () => {
    const codes = [...read('src/errors.ts').matchAll(/=\s*'(KVW_[A-Z_]+)'/g)].map((m) => m[1]!);
    expect(codes.length).toBeGreaterThan(10);
    const docs = read('docs/readme/troubleshooting.md') + read('docs/readme/security.md');
    expect(codes.filter((c) => !docs.includes(c))).toEqual([]);
  });
});
