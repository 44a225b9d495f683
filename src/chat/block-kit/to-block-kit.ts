import type { types } from '@slack/bolt';
import type { AdaptiveCard } from '../chat-surface.js';
import { buttonFor, inputBlockFor, UnsupportedCardElementError } from './elements.js';
import { SLACK_LIMITS, toMrkdwn, truncate } from './mrkdwn.js';
import { arrayAt, asObject, factSet, type Obj, richText, section, table } from './text-blocks.js';

export { UnsupportedCardElementError } from './elements.js';

type Block = types.KnownBlock;

/**
 * Maps an Adaptive Card (the subset every template in cards/ uses) to Slack Block Kit.
 *
 * Supported: TextBlock, RichTextBlock(TextRun), FactSet, ColumnSet/Column, Container,
 * Table/TableRow/TableCell, Image, ActionSet, Action.Execute, Action.OpenUrl, and
 * Action.ShowCard whose card holds Input.Text / Input.ChoiceSet / Action.Execute.
 * Anything else throws UnsupportedCardElementError naming the JSON path, so a template that
 * leaves the subset fails its test instead of silently losing content in Slack.
 *
 * Action.ShowCard is rendered inline: Slack has no collapsible sections, so its inputs become
 * `input` blocks in the message and its Action.Execute buttons follow them; a click sends the
 * typed values in `state.values` (see `readInputs`). Element visibility (`isVisible: false`)
 * is honoured; styling that Slack cannot express (colour, spacing, size) is dropped.
 */
export function toBlockKit(card: AdaptiveCard): Block[] {
  const ctx = new MappingContext();
  const blocks: Block[] = [];
  mapElements(card.body, 'body', ctx, blocks);
  if (card.actions && card.actions.length > 0) mapActions(card.actions, 'actions', ctx, blocks);
  return capBlocks(blocks);
}

/** Tracks action ids so that two buttons with one verb still get unique Slack action_ids. */
class MappingContext {
  private readonly used = new Map<string, number>();
  actionId(base: string): string {
    const n = this.used.get(base) ?? 0;
    this.used.set(base, n + 1);
    return n === 0 ? base : `${base}~${n}`;
  }
}

function mapElements(items: readonly unknown[] | undefined, path: string, ctx: MappingContext, out: Block[]) {
  (items ?? []).forEach((item, i) => {
    mapElement(item, `${path}[${i}]`, ctx, out);
  });
}

function mapElement(raw: unknown, path: string, ctx: MappingContext, out: Block[]): void {
  const el = asObject(raw, path);
  if (el.isVisible === false) return;
  switch (el.type) {
    case 'TextBlock':
      out.push(textBlock(el));
      return;
    case 'RichTextBlock':
      out.push(section(richText(el, path)));
      return;
    case 'FactSet':
      out.push(...factSet(el, path));
      return;
    case 'Container':
      mapElements(arrayAt(el, 'items', path), `${path}.items`, ctx, out);
      return;
    case 'ColumnSet':
      out.push(...columnSet(el, path, ctx));
      return;
    case 'Table':
      out.push(table(el, path));
      return;
    case 'Image':
      out.push(image(el, path));
      return;
    case 'ActionSet':
      mapActions(arrayAt(el, 'actions', path) ?? [], `${path}.actions`, ctx, out);
      return;
    default:
      throw new UnsupportedCardElementError(path, String(el.type));
  }
}

/** Buttons go into `actions` blocks (≤ 25 each); a ShowCard adds its inputs and buttons after them. */
function mapActions(actions: readonly unknown[], path: string, ctx: MappingContext, out: Block[]): void {
  const buttons: types.Button[] = [];
  const trailing: Block[] = [];
  actions.forEach((raw, i) => {
    const p = `${path}[${i}]`;
    const action = asObject(raw, p);
    if (action.type === 'Action.ShowCard') {
      trailing.push(...showCard(action, p, ctx));
      return;
    }
    buttons.push(buttonFor(action, p, ctx.actionId.bind(ctx)));
  });
  out.push(...actionBlocks(buttons));
  out.push(...trailing);
}

function showCard(action: Obj, path: string, ctx: MappingContext): Block[] {
  const card = asObject(action.card, `${path}.card`);
  const out: Block[] = [];
  if (typeof action.title === 'string' && action.title !== '') {
    out.push(section(`*${toMrkdwn(action.title)}*`));
  }
  const buttons: types.Button[] = [];
  (arrayAt(card, 'body', `${path}.card`) ?? []).forEach((raw, i) => {
    const p = `${path}.card.body[${i}]`;
    const el = asObject(raw, p);
    if (el.type === 'Input.Text' || el.type === 'Input.ChoiceSet') out.push(inputBlockFor(el, p));
    else if (el.type === 'TextBlock') out.push(textBlock(el));
    else throw new UnsupportedCardElementError(p, String(el.type));
  });
  (arrayAt(card, 'actions', `${path}.card`) ?? []).forEach((raw, i) => {
    const p = `${path}.card.actions[${i}]`;
    const el = asObject(raw, p);
    if (el.type !== 'Action.Execute') throw new UnsupportedCardElementError(p, String(el.type));
    buttons.push(buttonFor(el, p, ctx.actionId.bind(ctx)));
  });
  out.push(...actionBlocks(buttons));
  return out;
}

function actionBlocks(buttons: types.Button[]): Block[] {
  const out: Block[] = [];
  for (let i = 0; i < buttons.length; i += SLACK_LIMITS.actionsElements) {
    out.push({ type: 'actions', elements: buttons.slice(i, i + SLACK_LIMITS.actionsElements) });
  }
  return out;
}

function textBlock(el: Obj): Block {
  const text = typeof el.text === 'string' ? el.text : '';
  const heading = el.style === 'heading' || el.size === 'Large' || el.size === 'ExtraLarge';
  if (heading) {
    return {
      type: 'header',
      text: { type: 'plain_text', text: truncate(text || ' ', SLACK_LIMITS.headerText) },
    };
  }
  let md = toMrkdwn(text);
  if (el.weight === 'Bolder' && md !== '') md = `*${md}*`;
  if (el.isSubtle === true || el.size === 'Small') {
    return {
      type: 'context',
      elements: [{ type: 'mrkdwn', text: truncate(md || ' ', SLACK_LIMITS.sectionText) }],
    };
  }
  return section(md);
}

/** Columns of plain text become section fields side by side; anything richer is stacked. */
function columnSet(el: Obj, path: string, ctx: MappingContext): Block[] {
  const columns = (arrayAt(el, 'columns', path) ?? []).map((raw, i) => {
    const p = `${path}.columns[${i}]`;
    const col = asObject(raw, p);
    if (col.type !== 'Column') throw new UnsupportedCardElementError(p, String(col.type));
    return { col, path: p };
  });
  const visible = columns.filter(({ col }) => col.isVisible !== false);
  const onlyText = visible.every(({ col, path: p }) =>
    (arrayAt(col, 'items', p) ?? []).every((it) => (it as Obj | null)?.type === 'TextBlock'),
  );
  if (onlyText && visible.length > 0 && visible.length <= SLACK_LIMITS.fields) {
    const fields = visible.map(({ col, path: p }) => {
      const lines = (arrayAt(col, 'items', p) ?? [])
        .filter((it) => (it as Obj).isVisible !== false)
        .map((it) => {
          const tb = it as Obj;
          const md = toMrkdwn(String(tb.text ?? ''));
          return tb.weight === 'Bolder' && md !== '' ? `*${md}*` : md;
        });
      return { type: 'mrkdwn' as const, text: truncate(lines.join('\n') || ' ', SLACK_LIMITS.fieldText) };
    });
    return [{ type: 'section', fields }];
  }
  const out: Block[] = [];
  for (const { col, path: p } of visible) mapElements(arrayAt(col, 'items', p), `${p}.items`, ctx, out);
  return out;
}

function image(el: Obj, path: string): Block {
  if (typeof el.url !== 'string' || el.url === '')
    throw new UnsupportedCardElementError(path, 'Image without url');
  const alt = typeof el.altText === 'string' && el.altText !== '' ? el.altText : 'image';
  return { type: 'image', image_url: el.url, alt_text: truncate(alt, SLACK_LIMITS.imageAlt) };
}

/** Keeps the message inside 50 blocks; the last kept block says how much was left out. */
function capBlocks(blocks: Block[]): Block[] {
  if (blocks.length <= SLACK_LIMITS.blocks) return blocks;
  // Actions are what responders need most, so they survive the cut.
  const actions = blocks.filter((b) => b.type === 'actions' || b.type === 'input');
  const rest = blocks.filter((b) => b.type !== 'actions' && b.type !== 'input');
  const room = Math.max(0, SLACK_LIMITS.blocks - 1 - actions.length);
  const dropped = rest.length - room;
  const note: Block = {
    type: 'context',
    elements: [{ type: 'mrkdwn', text: `… ${dropped} more item(s) not shown in Slack` }],
  };
  return [...rest.slice(0, room), note, ...actions].slice(0, SLACK_LIMITS.blocks);
}
