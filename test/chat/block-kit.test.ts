import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as ACData from 'adaptivecards-templating';
import { describe, expect, it } from 'vitest';
import type { Alert } from '../../src/alerts/alert.js';
import { renderAlertCard } from '../../src/alerts/alert-card.js';
import { renderAlertSummaryCard } from '../../src/alerts/alert-summary-card.js';
import { dataOfButtonValue, readInputs, verbOfActionId } from '../../src/chat/block-kit/inbound.js';
import { toBlockKit, UnsupportedCardElementError } from '../../src/chat/block-kit/to-block-kit.js';
import { renderHelpCard } from '../../src/chat/cards/help-card.js';
import type { AdaptiveCard } from '../../src/chat/chat-surface.js';
import { buildAlert } from '../alerts/builders.js';
import { blockProblem } from '../fakes/slack-api.js';

const CARDS_DIR = join(import.meta.dirname, '../../cards');
const SAMPLES_DIR = join(CARDS_DIR, 'samples');

function card(body: unknown[], actions?: unknown[]): AdaptiveCard {
  return { type: 'AdaptiveCard', version: '1.5', body, ...(actions && { actions }) };
}

const templates = existsSync(CARDS_DIR) ? readdirSync(CARDS_DIR).filter((f) => f.endsWith('.json')) : [];

/** Sample data for a template: cards/samples/<name>.json when its author provides one, else a generic object. */
function sampleFor(file: string): unknown {
  const sample = join(SAMPLES_DIR, file);
  if (existsSync(sample)) return JSON.parse(readFileSync(sample, 'utf8'));
  return {};
}

describe('Block Kit mapping of every card template', () => {
  it('finds the card templates in cards/', () => {
    expect(templates).toEqual(expect.arrayContaining(['alert.json', 'help.json']));
  });

  for (const file of templates) {
    it(`maps the raw template ${file} (every $when branch) without unsupported elements`, () => {
      const template = JSON.parse(readFileSync(join(CARDS_DIR, file), 'utf8')) as AdaptiveCard;
      const blocks = toBlockKit(template);
      expect(blocks.length).toBeGreaterThan(0);
      expect(blocks.length).toBeLessThanOrEqual(50);
    });

    it(`maps ${file} expanded with sample data within Slack limits`, () => {
      const template = JSON.parse(readFileSync(join(CARDS_DIR, file), 'utf8'));
      const expanded = new ACData.Template(template).expand({ $root: sampleFor(file) }) as AdaptiveCard;
      const blocks = toBlockKit(expanded);
      expect(blocks.length).toBeLessThanOrEqual(50);
      for (const b of blocks) {
        if (b.type === 'section' && b.text) expect(b.text.text.length).toBeLessThanOrEqual(3000);
        if (b.type === 'actions') expect(b.elements.length).toBeLessThanOrEqual(25);
      }
    });
  }
});

describe('toBlockKit', () => {
  it('maps every element of the supported subset', () => {
    const blocks = toBlockKit(
      card(
        [
          { type: 'TextBlock', text: 'Destructive operation', size: 'Large', weight: 'Bolder' },
          { type: 'TextBlock', text: '**bob** purged [stripe](https://portal.azure.com/x) <script>' },
          { type: 'TextBlock', text: 'subtle note', isSubtle: true },
          { type: 'TextBlock', text: 'hidden', isVisible: false },
          {
            type: 'RichTextBlock',
            inlines: [
              { type: 'TextRun', text: 'rule ', weight: 'Bolder' },
              { type: 'TextRun', text: 'destructive-operation', fontType: 'Monospace' },
            ],
          },
          {
            type: 'FactSet',
            facts: [
              { title: 'Vault', value: 'kv-prod' },
              { title: 'Count', value: '2' },
            ],
          },
          {
            type: 'ColumnSet',
            columns: [
              {
                type: 'Column',
                items: [
                  { type: 'TextBlock', text: 'State', weight: 'Bolder' },
                  { type: 'TextBlock', text: 'open' },
                ],
              },
              {
                type: 'Column',
                items: [
                  { type: 'TextBlock', text: 'Severity' },
                  { type: 'TextBlock', text: 'high' },
                ],
              },
            ],
          },
          {
            type: 'Container',
            items: [{ type: 'Image', url: 'https://example.org/i.png', altText: 'logo' }],
          },
          {
            type: 'Table',
            columns: [{ width: 1 }, { width: 1 }],
            rows: [
              {
                type: 'TableRow',
                cells: [
                  { type: 'TableCell', items: [{ type: 'TextBlock', text: 'caller' }] },
                  { type: 'TableCell', items: [{ type: 'TextBlock', text: 'count' }] },
                ],
              },
              {
                type: 'TableRow',
                cells: [
                  { type: 'TableCell', items: [{ type: 'TextBlock', text: 'bob' }] },
                  { type: 'TableCell', items: [{ type: 'TextBlock', text: '12' }] },
                ],
              },
            ],
          },
          {
            type: 'ActionSet',
            actions: [{ type: 'Action.OpenUrl', title: 'Portal', url: 'https://portal.azure.com' }],
          },
        ],
        [
          {
            type: 'Action.Execute',
            title: 'Acknowledge',
            verb: 'alert.ack',
            data: { alertId: 'a1' },
            style: 'positive',
          },
          {
            type: 'Action.ShowCard',
            title: 'Close',
            card: {
              type: 'AdaptiveCard',
              body: [
                {
                  type: 'Input.ChoiceSet',
                  id: 'classification',
                  label: 'Classification',
                  choices: [
                    { title: 'True positive', value: 'true-positive' },
                    { title: 'False positive', value: 'false-positive' },
                  ],
                  isRequired: true,
                },
                { type: 'Input.Text', id: 'reason', label: 'Reason', isMultiline: true },
              ],
              actions: [
                {
                  type: 'Action.Execute',
                  title: 'Close alert',
                  verb: 'alert.close',
                  data: { alertId: 'a1' },
                  style: 'destructive',
                },
              ],
            },
          },
        ],
      ),
    );
    expect(blocks.map((b) => b.type)).toEqual([
      'header',
      'section',
      'context',
      'section',
      'section',
      'section',
      'image',
      'section',
      'actions',
      'actions',
      'section',
      'input',
      'input',
      'actions',
    ]);
    expect(blocks[1]).toMatchObject({
      text: { type: 'mrkdwn', text: '*bob* purged <https://portal.azure.com/x|stripe> &lt;script&gt;' },
    });
    expect(blocks[3]).toMatchObject({ text: { text: '*rule *`destructive-operation`' } });
    expect(blocks[4]).toMatchObject({ fields: [{ text: '*Vault*\nkv-prod' }, { text: '*Count*\n2' }] });
    expect(blocks[5]).toMatchObject({ fields: [{ text: '*State*\nopen' }, { text: 'Severity\nhigh' }] });
    expect(blocks[7]).toMatchObject({ text: { text: '```caller  count\nbob     12```' } });
    expect(blocks[9]).toMatchObject({
      elements: [{ type: 'button', action_id: 'alert.ack', value: '{"alertId":"a1"}', style: 'primary' }],
    });
    expect(blocks[11]).toMatchObject({
      block_id: 'input~classification',
      optional: false,
      element: { type: 'static_select', action_id: 'classification' },
    });
    expect(blocks[12]).toMatchObject({
      element: { type: 'plain_text_input', multiline: true },
      optional: true,
    });
    expect(blocks[13]).toMatchObject({ elements: [{ action_id: 'alert.close', style: 'danger' }] });
  });

  it.each([
    ['an unknown element', [{ type: 'Media', sources: [] }], 'body[0]'],
    ['an Input outside a ShowCard', [{ type: 'Input.Text', id: 'x' }], 'body[0]'],
    [
      'an unsupported inline',
      [{ type: 'RichTextBlock', inlines: [{ type: 'CitationRun' }] }],
      'body[0].inlines[0]',
    ],
    ['a nested unknown element', [{ type: 'Container', items: [{ type: 'Carousel' }] }], 'body[0].items[0]'],
    ['a non-object element', ['text'], 'body[0]'],
  ])('throws on %s, naming its path', (_name, body, path) => {
    expect(() => toBlockKit(card(body))).toThrow(UnsupportedCardElementError);
    try {
      toBlockKit(card(body));
    } catch (err) {
      expect((err as UnsupportedCardElementError).path).toBe(path);
    }
  });

  it.each([
    ['Action.Submit', { type: 'Action.Submit', title: 'x' }],
    ['Action.ToggleVisibility', { type: 'Action.ToggleVisibility', title: 'x' }],
    [
      'data over 2000 characters',
      { type: 'Action.Execute', title: 'x', verb: 'v', data: { x: 'y'.repeat(2000) } },
    ],
    ['a missing verb', { type: 'Action.Execute', title: 'x' }],
  ])('throws on an action with %s', (_name, action) => {
    expect(() => toBlockKit(card([], [action]))).toThrow(UnsupportedCardElementError);
  });

  it('keeps text objects within 3000 characters and messages within 50 blocks, keeping the actions', () => {
    const body = Array.from({ length: 80 }, (_, i) => ({
      type: 'TextBlock',
      text: `${i} ${'x'.repeat(4000)}`,
    }));
    const blocks = toBlockKit(card(body, [{ type: 'Action.Execute', title: 'Ack', verb: 'ack', data: {} }]));
    expect(blocks).toHaveLength(50);
    expect(blocks.at(-1)?.type).toBe('actions');
    expect(blocks.at(-2)).toMatchObject({
      type: 'context',
      elements: [{ text: '… 32 more item(s) not shown in Slack' }],
    });
    for (const b of blocks)
      if (b.type === 'section' && b.text) expect(b.text.text.length).toBeLessThanOrEqual(3000);
  });

  it('splits more than 25 buttons into several actions blocks and keeps action ids unique', () => {
    const actions = Array.from({ length: 30 }, () => ({
      type: 'Action.Execute',
      title: 'Ack',
      verb: 'ack',
      data: {},
    }));
    const blocks = toBlockKit(card([], actions));
    expect(blocks.map((b) => (b.type === 'actions' ? b.elements.length : 0))).toEqual([25, 5]);
    const ids = blocks.flatMap((b) =>
      b.type === 'actions' ? b.elements.map((e) => (e as { action_id: string }).action_id) : [],
    );
    expect(new Set(ids).size).toBe(30);
    expect(ids.map(verbOfActionId)).toEqual(Array(30).fill('ack'));
  });
});

describe('inbound block actions', () => {
  it('reads verbs, refusing link buttons', () => {
    expect(verbOfActionId('alert.ack~2')).toBe('alert.ack');
    expect(verbOfActionId('kvw-open-url~1')).toBeUndefined();
  });

  it.each([['[1,2]'], ['"text"'], ['{bad json'], [42], ['x'.repeat(2001)]])(
    'refuses button value %s',
    (value) => {
      expect(dataOfButtonValue(value)).toBeUndefined();
    },
  );

  it('reads typed input values only from mapped input blocks', () => {
    const inputs = readInputs({
      values: {
        'input~reason': { reason: { type: 'plain_text_input', value: 'expected backup' } },
        'input~classification': {
          classification: { type: 'static_select', selected_option: { value: 'benign-positive' } },
        },
        other: { x: { value: 'ignored' } },
      },
    });
    expect(inputs).toEqual({ reason: 'expected backup', classification: 'benign-positive' });
  });
});

describe('Block Kit mapping of the cards the features really render', () => {
  const states: Array<[string, Partial<Alert>]> = [
    ['open', {}],
    ['acknowledged', { state: 'acknowledged' }],
    ['escalated', { state: 'acknowledged', escalated: true }],
    [
      'closed',
      { state: 'closed', classification: 'benign-positive', closeReason: 'backup job' } as Partial<Alert>,
    ],
  ];
  it.each(states)('maps an %s alert card inside Slack limits', (_name, overrides) => {
    const blocks = toBlockKit(renderAlertCard(buildAlert(overrides)).card);
    expect(blocks.length).toBeLessThanOrEqual(50);
    expect(blockProblem(blocks)).toBeUndefined();
  });

  it.each(states)('maps an %s alert card with its pivot buttons to distinct buttons', (_name, overrides) => {
    const blocks = toBlockKit(renderAlertCard(buildAlert(overrides), { pivots: true }).card);
    expect(blockProblem(blocks)).toBeUndefined();
    const buttons = blocks.flatMap((b) =>
      b.type === 'actions' ? (b.elements as Array<{ action_id: string; value?: string }>) : [],
    );
    const pivots = buttons.filter((b) => verbOfActionId(b.action_id) === 'query.run');
    expect(pivots.map((b) => dataOfButtonValue(b.value)?.name)).toEqual(['caller', 'who']);
    expect(new Set(pivots.map((b) => b.action_id)).size).toBe(2);
  });

  it('maps a summary of many open alerts inside Slack limits', () => {
    const alerts = Array.from({ length: 40 }, (_, i) =>
      buildAlert({ id: `A-${String(i).padStart(10, '0')}` }),
    );
    const blocks = toBlockKit(renderAlertSummaryCard(alerts).card);
    expect(blockProblem(blocks)).toBeUndefined();
  });

  it('maps the help card', () => {
    const entries = Array.from({ length: 12 }, (_, i) => ({
      usage: `cmd${i} <vault> [since]`,
      summary: 'does things',
    }));
    expect(blockProblem(toBlockKit(renderHelpCard(entries).card))).toBeUndefined();
  });
});
