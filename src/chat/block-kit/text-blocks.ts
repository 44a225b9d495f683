import type { types } from '@slack/bolt';
import { UnsupportedCardElementError } from './elements.js';
import { SLACK_LIMITS, toMrkdwn, truncate } from './mrkdwn.js';

/** Text-shaped Adaptive Card elements (RichTextBlock, FactSet, Table) as Block Kit, plus shared helpers. */

type Block = types.KnownBlock;
export type Obj = Record<string, unknown>;

export function richText(el: Obj, path: string): string {
  const inlines = arrayAt(el, 'inlines', path) ?? [];
  return inlines
    .map((raw, i) => {
      const p = `${path}.inlines[${i}]`;
      if (typeof raw === 'string') return toMrkdwn(raw);
      const run = asObject(raw, p);
      if (run.type !== 'TextRun') throw new UnsupportedCardElementError(p, String(run.type));
      let t = toMrkdwn(typeof run.text === 'string' ? run.text : '');
      if (t.trim() === '') return t;
      if (run.fontType === 'Monospace') t = `\`${t}\``;
      if (run.weight === 'Bolder') t = `*${t}*`;
      if (run.italic === true) t = `_${t}_`;
      if (run.strikethrough === true) t = `~${t}~`;
      return t;
    })
    .join('');
}

export function factSet(el: Obj, path: string): Block[] {
  const facts = (arrayAt(el, 'facts', path) ?? []).map((raw, i) => {
    const f = asObject(raw, `${path}.facts[${i}]`);
    const title = toMrkdwn(String(f.title ?? ''));
    const value = toMrkdwn(String(f.value ?? ''));
    return { type: 'mrkdwn' as const, text: truncate(`*${title}*\n${value || ' '}`, SLACK_LIMITS.fieldText) };
  });
  const out: Block[] = [];
  for (let i = 0; i < facts.length; i += SLACK_LIMITS.fields) {
    out.push({ type: 'section', fields: facts.slice(i, i + SLACK_LIMITS.fields) });
  }
  return out;
}

export /** Slack messages have no general table block; a monospace grid keeps the columns aligned. */
function table(el: Obj, path: string): Block {
  const rows = (arrayAt(el, 'rows', path) ?? []).map((raw, r) => {
    const rp = `${path}.rows[${r}]`;
    const row = asObject(raw, rp);
    if (row.type !== 'TableRow') throw new UnsupportedCardElementError(rp, String(row.type));
    return (arrayAt(row, 'cells', rp) ?? []).map((cellRaw, c) => {
      const cp = `${rp}.cells[${c}]`;
      const cell = asObject(cellRaw, cp);
      if (cell.type !== 'TableCell') throw new UnsupportedCardElementError(cp, String(cell.type));
      return (arrayAt(cell, 'items', cp) ?? [])
        .map((itRaw, k) => {
          const it = asObject(itRaw, `${cp}.items[${k}]`);
          if (it.type === 'TextBlock') return String(it.text ?? '');
          if (it.type === 'RichTextBlock') return richText(it, `${cp}.items[${k}]`);
          throw new UnsupportedCardElementError(`${cp}.items[${k}]`, String(it.type));
        })
        .join(' ')
        .replace(/\s+/g, ' ');
    });
  });
  const widths: number[] = [];
  for (const row of rows) {
    row.forEach((cell, i) => {
      widths[i] = Math.max(widths[i] ?? 0, Math.min(cell.length, 40));
    });
  }
  const lines = rows.map((row) =>
    row
      .map((cell, i) => cell.padEnd(widths[i] ?? 0))
      .join('  ')
      .trimEnd(),
  );
  const body = truncate(lines.join('\n'), SLACK_LIMITS.sectionText - 8);
  return section(`\`\`\`${body.replace(/```/g, "'''") || ' '}\`\`\``);
}

export function section(mrkdwn: string): Block {
  return {
    type: 'section',
    text: { type: 'mrkdwn', text: truncate(mrkdwn || ' ', SLACK_LIMITS.sectionText) },
  };
}

export function asObject(raw: unknown, path: string): Obj {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new UnsupportedCardElementError(path, typeof raw);
  }
  return raw as Obj;
}

export function arrayAt(el: Obj, key: string, path: string): readonly unknown[] | undefined {
  const v = el[key];
  if (v === undefined) return undefined;
  if (!Array.isArray(v)) throw new UnsupportedCardElementError(`${path}.${key}`, `non-array ${key}`);
  return v;
}
