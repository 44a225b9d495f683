import { readFileSync } from 'node:fs';
import * as ACData from 'adaptivecards-templating';
import type { AdaptiveCard } from '../chat-surface.js';

/**
 * The single card renderer: expands `cards/<templateName>.json` (Adaptive Card 1.5 templates) with
 * `adaptivecards-templating` against `data`. Every card kv-warden shows (alerts, rotations, query
 * results, help) goes through here, so every surface gets the same JSON.
 *
 * Templates bind only to prepared view models: give every field the template names (empty string,
 * `false`, `[]`), because the templating library leaves `${field}` in place for a missing field.
 * A leftover `${…}` that did not come from the data is a template/view-model mismatch and throws.
 */
export function renderCard(templateName: string, data: Readonly<Record<string, unknown>>): AdaptiveCard {
  const template = loadTemplate(templateName);
  const expanded = template.expand({ $root: data }) as unknown;
  if (!isAdaptiveCard(expanded)) {
    throw new CardTemplateError(templateName, 'did not expand to an AdaptiveCard');
  }
  const leftover = findUnexpanded(expanded, dataStrings(data));
  if (leftover !== undefined) {
    throw new CardTemplateError(templateName, `left "${leftover.slice(0, 80)}" unexpanded`);
  }
  return expanded;
}

/** A template that is missing, unreadable or does not match its view model: a programming error. */
export class CardTemplateError extends Error {
  constructor(
    readonly templateName: string,
    problem: string,
  ) {
    super(`card template ${templateName}: ${problem}`);
    this.name = 'CardTemplateError';
  }
}

const TEMPLATE_NAME = /^[a-z][a-z0-9-]{0,63}$/;
/** `cards/` at the package root, from both `src/chat/cards` and a compiled `dist/chat/cards`. */
const CARDS_DIR = new URL('../../../cards/', import.meta.url);
const cache = new Map<string, ACData.Template>();

/** Names of the template files (without `.json`) this renderer can load. */
export function templatePath(templateName: string): URL {
  if (!TEMPLATE_NAME.test(templateName)) throw new CardTemplateError(templateName, 'bad template name');
  return new URL(`${templateName}.json`, CARDS_DIR);
}

function loadTemplate(templateName: string): ACData.Template {
  const cached = cache.get(templateName);
  if (cached) return cached;
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(templatePath(templateName), 'utf8'));
  } catch (err) {
    if (err instanceof CardTemplateError) throw err;
    throw new CardTemplateError(templateName, `cannot be read (${(err as Error).message})`);
  }
  const template = new ACData.Template(json);
  cache.set(templateName, template);
  return template;
}

function isAdaptiveCard(value: unknown): value is AdaptiveCard {
  const v = value as { type?: unknown; version?: unknown; body?: unknown } | null;
  return (
    typeof v === 'object' &&
    v !== null &&
    v.type === 'AdaptiveCard' &&
    typeof v.version === 'string' &&
    Array.isArray(v.body)
  );
}

/** Data strings that themselves contain `${` (hostile or odd input shown verbatim, never evaluated). */
function dataStrings(data: unknown): string[] {
  const out: string[] = [];
  const walk = (v: unknown): void => {
    if (typeof v === 'string') {
      if (v.includes('${')) out.push(v);
    } else if (Array.isArray(v)) v.forEach(walk);
    else if (typeof v === 'object' && v !== null) Object.values(v).forEach(walk);
  };
  walk(data);
  return out;
}

function findUnexpanded(node: unknown, allowed: readonly string[]): string | undefined {
  if (typeof node === 'string') {
    if (!node.includes('${')) return undefined;
    return allowed.some((s) => node.includes(s)) ? undefined : node;
  }
  if (Array.isArray(node)) {
    for (const item of node) {
      const hit = findUnexpanded(item, allowed);
      if (hit !== undefined) return hit;
    }
    return undefined;
  }
  if (typeof node === 'object' && node !== null) {
    for (const [key, value] of Object.entries(node)) {
      if (key.startsWith('$') && key !== '$schema') return key;
      const hit = findUnexpanded(value, allowed);
      if (hit !== undefined) return hit;
    }
  }
  return undefined;
}
