import type { AuditItem } from '../audit/audit-event.js';

/**
 * The intake port every ingestion source feeds (local folder, blob forwarder in-process, Service Bus).
 * `ingest` resolves only once the items' effects are durable: alerts persisted and their card deliveries
 * queued in the outbox, detector state checkpointed, event keys marked seen. Only then may a source
 * complete a message or advance a checkpoint. Re-ingesting the same items is harmless (event keys), and
 * so is delivering again after a crash at any point: what was not durable is processed again.
 */
export interface IntakePipeline {
  ingest(items: readonly AuditItem[], origin: IntakeOrigin): Promise<IntakeResult>;
}

export interface IntakeOrigin {
  /** e.g. `folder:./audit-logs/…/PT1H.json`, `servicebus:audit-queue`, `blob:…`. */
  readonly source: string;
  /** The vault this batch belongs to when known (Service Bus SessionId). */
  readonly vault?: string;
}

export interface IntakeResult {
  /** Events processed for the first time. */
  readonly accepted: number;
  /** Events skipped because their key was already seen (redelivery). */
  readonly duplicates: number;
  /** Alerts created or updated. */
  readonly alerts: number;
}
