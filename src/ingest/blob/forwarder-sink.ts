import type { AuditItem } from '../../audit/audit-event.js';

/** One contiguous run of complete lines read from a blob (or a whole legacy blob). */
export interface ForwardChunk {
  /** Blob name. */
  readonly blob: string;
  /** Vault name (lower case) from the blob path. */
  readonly vault: string;
  /** Line number of the first line in `raw`. */
  readonly firstLine: number;
  /** The exact bytes consumed (complete lines only). */
  readonly raw: Buffer;
  readonly items: readonly AuditItem[];
  /** Line numbers that did not parse (reported already; not forwarded). */
  readonly malformedLines: ReadonlySet<number>;
  /** True for a legacy `{"records":[…]}` blob (raw is one JSON document, not lines). */
  readonly whole?: boolean;
}

/** Where forwarded records go: a Service Bus queue, or the intake pipeline in-process. Resolves once durable. */
export interface ForwarderSink {
  deliver(chunk: ForwardChunk): Promise<void>;
}
