import { createBlobSource } from '../ingest/blob/create-forwarder.js';
import { createServiceBusSource } from '../ingest/service-bus/create-listener.js';
import type { AppFeature, IntakeSource } from './features.js';

/**
 * The Azure intake sources `serve` runs beside the local folder: the Service Bus listener
 * (`sources.serviceBus`) and the blob forwarder (`sources.blob`; in-process into the pipeline, or to its
 * `sendTo` queue). Both feed the same intake pipeline.
 */
export const ingestFeature: AppFeature = {
  name: 'ingest',
  async register(ctx) {
    const { config, pipeline, logger, metrics, store, clock } = ctx;
    const sources: IntakeSource[] = [];
    const bus = await createServiceBusSource({ config, pipeline, logger, metrics });
    if (bus) {
      let started = false;
      sources.push({
        name: 'servicebus',
        get connected() {
          return started;
        },
        start: async () => {
          bus.start();
          started = true;
        },
        stop: async () => {
          started = false;
          await bus.stop();
        },
      });
    }
    if (config.sources.blob) {
      const blob = await createBlobSource({ config, store, clock, logger, metrics, pipeline });
      let ready = false;
      let running: Promise<void> | undefined;
      let release: () => void = () => {};
      const stopped = new Promise<void>((resolve) => {
        release = resolve;
      });
      sources.push({
        name: 'blob',
        get connected() {
          return ready;
        },
        start: async () => {
          await blob.forwarder.pollOnce();
          ready = true;
          running = blob.forwarder.run(blob.pollIntervalMs, stopped);
        },
        stop: async () => {
          release();
          await running;
          await blob.close();
        },
      });
    }
    return { sources };
  },
};
