import type { ServiceBusReceivedMessage } from '@azure/service-bus';
import type { AuditItem, MalformedRecord } from '../../audit/audit-event.js';
import { parseAuditBody } from '../../audit/parse-body.js';
import type { Logger } from '../../util/logger.js';
import type { Metrics } from '../../util/metrics.js';
import type { IntakePipeline } from '../pipeline.js';

/** What to do with a message once handled. */
export type Settlement =
  | { readonly action: 'complete' }
  | { readonly action: 'abandon'; readonly error: unknown }
  | { readonly action: 'dead-letter'; readonly reason: string; readonly description: string };

export type BodyParser = (
  body: unknown,
  source: string,
) => { items: AuditItem[]; malformed: MalformedRecord[] };

export interface ProcessorDeps {
  readonly pipeline: IntakePipeline;
  readonly logger: Logger;
  readonly metrics?: Metrics;
  readonly parseBody?: BodyParser;
}

/** Dead-letter reasons kv-warden sets (shown by `kv-warden replay-dlq`). */
export const DEAD_LETTER_REASONS = {
  malformed: 'MalformedBody',
} as const;

/** Event Grid control messages carry no event: `aeg-event-type` other than Notification. */
function isEventGridControl(m: ServiceBusReceivedMessage): boolean {
  const type = m.applicationProperties?.['aeg-event-type'];
  return typeof type === 'string' && type !== 'Notification';
}

/** Parsed messages of one delivery round: what to ingest and what to dead-letter. */
export interface ParsedMessage {
  readonly message: ServiceBusReceivedMessage;
  readonly items: AuditItem[];
  readonly deadLetter?: { readonly reason: string; readonly description: string };
}

/**
 * Parses one message body (every shape the audit reader accepts, including Event Grid and CloudEvents
 * objects). Nothing usable → dead-letter with the parser's reasons; some bad records → the good ones go on
 * and each bad one is logged (source, line, reason — never the record).
 */
export function parseMessage(
  m: ServiceBusReceivedMessage,
  source: string,
  deps: ProcessorDeps,
): ParsedMessage {
  if (isEventGridControl(m)) return { message: m, items: [] };
  const parse = deps.parseBody ?? parseAuditBody;
  let parsed: { items: AuditItem[]; malformed: MalformedRecord[] };
  try {
    parsed = parse(m.body, source);
  } catch (err) {
    return {
      message: m,
      items: [],
      deadLetter: { reason: DEAD_LETTER_REASONS.malformed, description: clip((err as Error).message) },
    };
  }
  for (const bad of parsed.malformed) {
    deps.logger.warn(
      { source: bad.source, line: bad.line, reason: bad.reason, messageId: String(m.messageId ?? '') },
      'malformed audit record skipped',
    );
    deps.metrics?.malformedRecords.inc({ source });
  }
  if (parsed.items.length === 0 && parsed.malformed.length > 0) {
    const reasons = parsed.malformed.slice(0, 3).map((b) => `line ${b.line}: ${b.reason}`);
    return {
      message: m,
      items: [],
      deadLetter: { reason: DEAD_LETTER_REASONS.malformed, description: clip(reasons.join('; ')) },
    };
  }
  return { message: m, items: parsed.items };
}

/**
 * Handles one round of messages that must stay together (one message, or an ordered session batch):
 * the good items go to the pipeline in one call; only when it resolved (events durable, alerts persisted,
 * cards queued) are the messages completed. A pipeline failure abandons them all for redelivery.
 */
export async function processMessages(
  messages: readonly ServiceBusReceivedMessage[],
  origin: { source: string; vault?: string },
  deps: ProcessorDeps,
): Promise<Map<ServiceBusReceivedMessage, Settlement>> {
  const out = new Map<ServiceBusReceivedMessage, Settlement>();
  const parsed = messages.map((m) => parseMessage(m, origin.source, deps));
  const items = parsed.flatMap((p) => p.items);
  let failure: unknown;
  if (items.length > 0) {
    try {
      await deps.pipeline.ingest(items, origin);
    } catch (err) {
      failure = err ?? new Error('pipeline failed');
    }
  }
  for (const p of parsed) {
    if (p.deadLetter) out.set(p.message, { action: 'dead-letter', ...p.deadLetter });
    else if (failure !== undefined && p.items.length > 0)
      out.set(p.message, { action: 'abandon', error: failure });
    else out.set(p.message, { action: 'complete' });
  }
  return out;
}

function clip(text: string, max = 1024): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}
