import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

/** The element subset every template must stay inside (the Slack Block Kit mapping supports exactly these). */
const ELEMENTS = new Set([
  'TextBlock',
  'RichTextBlock',
  'TextRun',
  'FactSet',
  'ColumnSet',
  'Column',
  'Container',
  'Table',
  'TableRow',
  'TableCell',
  'Image',
  'ActionSet',
]);
const ACTIONS = new Set(['Action.Execute', 'Action.OpenUrl', 'Action.ShowCard']);
const SHOWCARD_ELEMENTS = new Set(['Input.Text', 'Input.ChoiceSet', 'TextBlock']);

const dir = new URL('../../cards/', import.meta.url);
const templates = readdirSync(dir).filter((f) => f.endsWith('.json'));

/** Every `type` in the template with where it sits; ShowCard cards are checked against their own, narrower set. */
function violations(node: unknown, path: string, inShowCard: boolean, out: string[]): string[] {
  if (Array.isArray(node)) {
    node.forEach((n, i) => {
      violations(n, `${path}[${i}]`, inShowCard, out);
    });
    return out;
  }
  if (typeof node !== 'object' || node === null) return out;
  const obj = node as Record<string, unknown>;
  const type = obj.type;
  if (typeof type === 'string' && path !== '$') {
    const ok = type.startsWith('Action.')
      ? inShowCard
        ? type === 'Action.Execute'
        : ACTIONS.has(type)
      : type === 'AdaptiveCard'
        ? path.endsWith('.card')
        : inShowCard
          ? SHOWCARD_ELEMENTS.has(type)
          : ELEMENTS.has(type);
    if (!ok) out.push(`${path}: ${type}`);
  }
  for (const [key, value] of Object.entries(obj)) {
    if (key === 'refresh') continue; // Universal Actions refresh: Teams only, not rendered
    violations(value, `${path}.${key}`, inShowCard || (type === 'Action.ShowCard' && key === 'card'), out);
  }
  return out;
}

describe('card templates', () => {
  it('there are templates to check', () => {
    expect(templates).toEqual(expect.arrayContaining(['alert.json', 'alert-summary.json', 'help.json']));
  });

  for (const file of templates) {
    it(`${file} is an Adaptive Card 1.5 inside the supported element subset`, () => {
      const json = JSON.parse(readFileSync(new URL(file, dir), 'utf8')) as { type: string; version: string };
      expect(json.type).toBe('AdaptiveCard');
      expect(json.version).toBe('1.5');
      expect(violations(json, '$', false, [])).toEqual([]);
    });
  }
});
