import { INPUT_BLOCK_PREFIX, OPEN_URL_ACTION } from './elements.js';

/**
 * The way back: a Slack block action (button click) to the Action.Execute verb, data and the
 * values typed into the inputs the mapping rendered. Everything here is untrusted input.
 */

/** The Action.Execute verb of a mapped button, or undefined for link buttons. */
export function verbOfActionId(actionId: string): string | undefined {
  const verb = actionId.split('~')[0] ?? '';
  if (verb === '' || verb === OPEN_URL_ACTION) return undefined;
  return verb;
}

/** Parses a button value back into Action.Execute data; anything but a JSON object is refused. */
export function dataOfButtonValue(value: unknown): Record<string, unknown> | undefined {
  if (value === undefined || value === '') return {};
  if (typeof value !== 'string' || value.length > 2000) return undefined;
  try {
    const parsed: unknown = JSON.parse(value);
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return undefined;
    return parsed as Record<string, unknown>;
  } catch {
    return undefined;
  }
}

type StateValues = Record<
  string,
  Record<string, { value?: unknown; selected_option?: { value?: unknown } | null }>
>;

/** Input values from `state.values` of the inputs rendered from ShowCard cards, by input id. */
export function readInputs(state: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  const values = (state as { values?: StateValues } | undefined)?.values;
  if (typeof values !== 'object' || values === null) return out;
  for (const [blockId, elements] of Object.entries(values)) {
    if (!blockId.startsWith(INPUT_BLOCK_PREFIX) || typeof elements !== 'object' || elements === null)
      continue;
    for (const [id, el] of Object.entries(elements)) {
      const v = el?.value ?? el?.selected_option?.value;
      if (typeof v === 'string' && v.length <= 3000) out[id] = v;
    }
  }
  return out;
}
