import type { types } from '@slack/bolt';
import { SLACK_LIMITS, truncate } from './mrkdwn.js';

type Obj = Record<string, unknown>;

/** A card element outside the supported subset; `path` is its JSON path in the card. */
export class UnsupportedCardElementError extends Error {
  constructor(
    readonly path: string,
    readonly elementType: string,
  ) {
    super(`unsupported Adaptive Card element "${elementType}" at ${path} (Slack Block Kit mapping)`);
    this.name = 'UnsupportedCardElementError';
  }
}

/** Prefix of the action_id of URL buttons; Slack still sends block_actions for them, which we ignore. */
export const OPEN_URL_ACTION = 'kvw-open-url';
/** Prefix of the block_id of input blocks made from ShowCard inputs. */
export const INPUT_BLOCK_PREFIX = 'input~';

/** Action.Execute → button (action_id = verb, value = JSON data); Action.OpenUrl → link button. */
export function buttonFor(action: Obj, path: string, actionId: (base: string) => string): types.Button {
  const text = {
    type: 'plain_text' as const,
    text: truncate(String(action.title ?? 'Open'), SLACK_LIMITS.buttonText),
  };
  const style =
    action.style === 'positive' ? 'primary' : action.style === 'destructive' ? 'danger' : undefined;
  if (action.type === 'Action.OpenUrl') {
    if (typeof action.url !== 'string' || action.url.length > SLACK_LIMITS.url) {
      throw new UnsupportedCardElementError(path, 'Action.OpenUrl without a url of at most 3000 characters');
    }
    return {
      type: 'button',
      text,
      url: action.url,
      action_id: actionId(OPEN_URL_ACTION),
      ...(style && { style }),
    };
  }
  if (action.type !== 'Action.Execute') throw new UnsupportedCardElementError(path, String(action.type));
  const verb = action.verb;
  if (
    typeof verb !== 'string' ||
    verb === '' ||
    verb.includes('~') ||
    verb.length > SLACK_LIMITS.actionId - 4
  ) {
    throw new UnsupportedCardElementError(path, 'Action.Execute without a usable verb');
  }
  const value = JSON.stringify(action.data ?? {});
  if (value.length > SLACK_LIMITS.buttonValue) {
    throw new UnsupportedCardElementError(
      path,
      `Action.Execute data of ${value.length} characters (Slack allows 2000)`,
    );
  }
  return { type: 'button', text, action_id: actionId(verb), value, ...(style && { style }) };
}

/** Input.Text → plain_text_input, Input.ChoiceSet → static_select, each in an `input` block. */
export function inputBlockFor(el: Obj, path: string): types.InputBlock {
  const id = el.id;
  if (typeof id !== 'string' || id === '' || id.length > SLACK_LIMITS.actionId) {
    throw new UnsupportedCardElementError(path, `${String(el.type)} without an id`);
  }
  const label = truncate(String(el.label ?? el.placeholder ?? id), SLACK_LIMITS.inputLabel);
  const placeholder =
    typeof el.placeholder === 'string' && el.placeholder !== ''
      ? {
          placeholder: {
            type: 'plain_text' as const,
            text: truncate(el.placeholder, SLACK_LIMITS.placeholder),
          },
        }
      : {};
  const common = {
    type: 'input' as const,
    block_id: `${INPUT_BLOCK_PREFIX}${id}`,
    optional: el.isRequired !== true,
  };
  const labelObj = { type: 'plain_text' as const, text: label };
  if (el.type === 'Input.Text') {
    const initial = typeof el.value === 'string' && el.value !== '' ? { initial_value: el.value } : {};
    const max = typeof el.maxLength === 'number' ? { max_length: Math.min(el.maxLength, 3000) } : {};
    return {
      ...common,
      label: labelObj,
      element: {
        type: 'plain_text_input',
        action_id: id,
        multiline: el.isMultiline === true,
        ...placeholder,
        ...initial,
        ...max,
      },
    };
  }
  if (el.type !== 'Input.ChoiceSet' || el.isMultiSelect === true) {
    throw new UnsupportedCardElementError(
      path,
      `${String(el.type)}${el.isMultiSelect === true ? ' (multi-select)' : ''}`,
    );
  }
  const choices = Array.isArray(el.choices) ? (el.choices as Obj[]) : [];
  if (choices.length === 0 || choices.length > SLACK_LIMITS.selectOptions) {
    throw new UnsupportedCardElementError(path, 'Input.ChoiceSet with no choices or more than 100');
  }
  const options = choices.map((c, i) => {
    const value = String(c.value ?? '');
    if (value === '' || value.length > SLACK_LIMITS.optionValue) {
      throw new UnsupportedCardElementError(
        `${path}.choices[${i}]`,
        'choice value empty or over 150 characters',
      );
    }
    return {
      text: {
        type: 'plain_text' as const,
        text: truncate(String(c.title ?? value), SLACK_LIMITS.optionText),
      },
      value,
    };
  });
  const initial = options.find((o) => o.value === el.value);
  return {
    ...common,
    label: labelObj,
    element: {
      type: 'static_select',
      action_id: id,
      options,
      ...placeholder,
      ...(initial && { initial_option: initial }),
    },
  };
}
