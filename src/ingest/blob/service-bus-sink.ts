import { createHash } from 'node:crypto';
import type { ServiceBusMessage, ServiceBusSender } from '@azure/service-bus';
import { InvalidParameterError } from '../../errors.js';
import type { ForwardChunk, ForwarderSink } from './forwarder-sink.js';

/**
 * Sends forwarded lines to a Service Bus queue: JSON Lines bodies of at most `maxBodyBytes`, MessageId =
 * SHA-256 of the body (duplicate detection drops a re-send after a crash before the checkpoint),
 * SessionId = vault (one replica handles a vault's events in order). Batches are sized by
 * `createMessageBatch()`, i.e. the tier's limit advertised by the namespace.
 */
export class ServiceBusSink implements ForwarderSink {
  /** Messages sent (including ones the broker may drop as duplicates). */
  sent = 0;

  constructor(
    private readonly sender: ServiceBusSender,
    private readonly maxBodyBytes = 64 * 1024,
  ) {}

  async deliver(chunk: ForwardChunk): Promise<void> {
    const bodies = groupLines(chunk.whole ? asLines(chunk) : chunk, this.maxBodyBytes);
    let batch = await this.sender.createMessageBatch();
    for (const body of bodies) {
      const message = toMessage(body, chunk.vault);
      if (batch.tryAddMessage(message)) continue;
      if (batch.count === 0) {
        throw new InvalidParameterError(
          'message',
          `a ${body.length}-byte body exceeds the namespace's batch limit`,
        );
      }
      await this.sender.sendMessages(batch);
      this.sent += batch.count;
      batch = await this.sender.createMessageBatch();
      if (!batch.tryAddMessage(message)) {
        throw new InvalidParameterError(
          'message',
          `a ${body.length}-byte body exceeds the namespace's batch limit`,
        );
      }
    }
    if (batch.count > 0) {
      await this.sender.sendMessages(batch);
      this.sent += batch.count;
    }
  }
}

function toMessage(body: Buffer, vault: string): ServiceBusMessage {
  return {
    body,
    messageId: createHash('sha256').update(body).digest('hex'),
    sessionId: vault,
    contentType: 'application/x-ndjson',
  };
}

/** Splits the chunk into bodies of whole lines, skipping blank and malformed lines. Deterministic per chunk. */
export function groupLines(chunk: ForwardChunk, maxBytes: number): Buffer[] {
  const bodies: Buffer[] = [];
  let parts: Buffer[] = [];
  let size = 0;
  let start = 0;
  let line = chunk.firstLine;
  const raw = chunk.raw;
  while (start < raw.length) {
    let end = raw.indexOf(0x0a, start);
    if (end < 0) end = raw.length;
    const text = raw.subarray(start, end);
    const trimmed = text.length > 0 && text[text.length - 1] === 0x0d ? text.subarray(0, -1) : text;
    if (trimmed.length > 0 && !isBlank(trimmed) && !chunk.malformedLines.has(line)) {
      if (size > 0 && size + trimmed.length + 1 > maxBytes) {
        bodies.push(Buffer.concat(parts));
        parts = [];
        size = 0;
      }
      parts.push(trimmed, NEWLINE);
      size += trimmed.length + 1;
    }
    start = end + 1;
    line++;
  }
  if (size > 0) bodies.push(Buffer.concat(parts));
  return bodies;
}

const NEWLINE = Buffer.from('\n');

/** A legacy whole-blob document re-emitted as JSON Lines (one record per line) so it can be split. */
function asLines(chunk: ForwardChunk): ForwardChunk {
  let records: unknown[] = [];
  try {
    const doc = JSON.parse(chunk.raw.toString('utf8').replace(/^\uFEFF/, '')) as unknown;
    records = Array.isArray(doc) ? doc : ((doc as { records?: unknown[] }).records ?? []);
  } catch {
    records = [];
  }
  const raw = Buffer.from(records.map((r) => JSON.stringify(r)).join('\n'));
  return { ...chunk, raw, firstLine: 1, malformedLines: new Set(), whole: false };
}

function isBlank(b: Buffer): boolean {
  for (const c of b)
    if (c !== 0x20 && c !== 0x09 && c !== 0x0d && c !== 0xef && c !== 0xbb && c !== 0xbf) return false;
  return true;
}
