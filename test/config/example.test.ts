import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import YAML from 'yaml';
import { loadConfig } from '../../src/config/load.js';
import { configSchema } from '../../src/config/schema.js';

const EXAMPLE = path.resolve(import.meta.dirname, '../../kv-warden.example.yaml');

interface Def {
  type: string;
  shape?: Record<string, { _zod: { def: Def } }>;
  innerType?: { _zod: { def: Def } };
  in?: { _zod: { def: Def } };
  valueType?: { _zod: { def: Def } };
  element?: { _zod: { def: Def } };
  options?: { _zod: { def: Def } }[];
}

/** Every object key the schema knows, as dotted paths (`*` for record keys, `[]` for array items). */
function schemaKeys(def: Def, prefix = ''): string[] {
  switch (def.type) {
    case 'object':
      return Object.entries(def.shape ?? {}).flatMap(([k, v]) => [
        `${prefix}${k}`,
        ...schemaKeys(v._zod.def, `${prefix}${k}.`),
      ]);
    case 'optional':
    case 'default':
    case 'prefault':
    case 'nullable':
      return schemaKeys(def.innerType!._zod.def, prefix);
    case 'pipe':
      return schemaKeys(def.in!._zod.def, prefix);
    case 'record':
      return schemaKeys(def.valueType!._zod.def, `${prefix}*.`);
    case 'array':
      return schemaKeys(def.element!._zod.def, `${prefix}[].`);
    case 'union':
      return def.options!.flatMap((o) => schemaKeys(o._zod.def, prefix));
    default:
      return [];
  }
}

/** Whether `path` (with `*` for any key and `[]` for any element) resolves in `value`. */
function hasPath(value: unknown, path: string[]): boolean {
  if (path.length === 0) return true;
  if (value === null || typeof value !== 'object') return false;
  const [head, ...rest] = path;
  if (head === '[]') return Array.isArray(value) && value.some((v) => hasPath(v, rest));
  if (head === '*') return Object.values(value).some((v) => hasPath(v, rest));
  return Object.hasOwn(value, head!) && hasPath((value as Record<string, unknown>)[head!], rest);
}

describe('kv-warden.example.yaml', () => {
  const text = readFileSync(EXAMPLE, 'utf8');

  it('is a valid configuration', () => {
    const cfg = loadConfig({ file: EXAMPLE, env: {} });
    expect(cfg.detection.failedBurst).toEqual({ threshold: 10, window: 300_000 });
    expect(cfg.vaults['kv-prod-payments']?.expectedApps).toEqual(['b2222222-2222-4222-8222-222222222222']);
  });

  it('mentions every key of the schema, each with a comment', () => {
    const keys = [...new Set(schemaKeys((configSchema as unknown as { _zod: { def: Def } })._zod.def))];
    expect(keys.length).toBeGreaterThan(60);
    // Present in the YAML itself, or in the commented-out alternative (`# store: {...}`).
    const alternatives = text
      .split('\n')
      .filter((l) => /^# [a-z]+: /.test(l))
      .map((l) => l.slice(2))
      .join('\n');
    const docs = [YAML.parse(text), YAML.parse(alternatives) ?? {}];
    const missing = keys.filter((k) => !docs.some((d) => hasPath(d, k.split('.'))));
    expect(missing).toEqual([]);
    // Comments: at least one comment line per top-level section and no bare section.
    for (const section of Object.keys(configSchema.shape)) {
      const at = text.indexOf(`\n${section}:`);
      expect(at, section).toBeGreaterThan(0);
      expect(text.slice(Math.max(0, at - 400), at + 600)).toMatch(/#/);
    }
  });
});
