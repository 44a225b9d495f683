import type { IntakePipeline } from '../pipeline.js';
import type { ForwardChunk, ForwarderSink } from './forwarder-sink.js';

/** In-process forwarding (no Service Bus): parsed items go straight to the intake pipeline. */
export class PipelineSink implements ForwarderSink {
  constructor(private readonly pipeline: IntakePipeline) {}

  async deliver(chunk: ForwardChunk): Promise<void> {
    if (chunk.items.length === 0) return;
    await this.pipeline.ingest(chunk.items, { source: `blob:${chunk.blob}`, vault: chunk.vault });
  }
}
