/**
 * Adaptive Card markdown (the subset Teams renders: **bold**, _italic_, [text](url), lists)
 * to Slack mrkdwn, and the truncation every Slack text object needs.
 */

/** Escapes the three characters Slack treats as control sequences in mrkdwn. */
export function escapeMrkdwn(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** Converts Adaptive Card markdown to Slack mrkdwn. Links become `<url|text>`. */
export function toMrkdwn(text: string): string {
  return escapeMrkdwn(text)
    .replace(/\*\*([^*\n]+)\*\*/g, '*$1*')
    .replace(
      /\[([^\]\n]+)\]\((https?:\/\/[^)\s]+)\)/g,
      (_m, label: string, url: string) => `<${url}|${label}>`,
    );
}

/** Cuts text to Slack's limit, marking the cut with an ellipsis. */
export function truncate(text: string, max: number): string {
  if (text.length <= max) return text;
  return `${text.slice(0, Math.max(0, max - 1))}…`;
}

/** Slack limits this mapping respects (api.slack.com/reference/block-kit). */
export const SLACK_LIMITS = {
  blocks: 50,
  sectionText: 3000,
  fieldText: 2000,
  fields: 10,
  headerText: 150,
  contextElements: 10,
  actionsElements: 25,
  buttonText: 75,
  buttonValue: 2000,
  url: 3000,
  actionId: 255,
  blockId: 255,
  inputLabel: 2000,
  placeholder: 150,
  selectOptions: 100,
  optionText: 75,
  optionValue: 150,
  imageAlt: 2000,
} as const;
