import type { TokenCredential } from '@azure/identity';
import type { ServiceBusClient } from '@azure/service-bus';
import type { Config } from '../../config/load.js';
import type { Logger } from '../../util/logger.js';
import type { Metrics } from '../../util/metrics.js';
import type { IntakePipeline } from '../pipeline.js';
import { entityRef } from './entity.js';
import { createServiceBusClient, serviceBusConnectionFrom } from './service-bus-client.js';
import { ServiceBusListener } from './service-bus-listener.js';

/** The Service Bus source as `serve` runs it: start, then stop gracefully (closes its client). */
export interface ServiceBusSource {
  start(): void;
  stop(): Promise<void>;
  readonly client: ServiceBusClient;
}

/**
 * Builds the listener for `sources.serviceBus` (undefined when not configured). Connection from
 * SERVICEBUS_CONNECTION_STRING, else the namespace with `credential` (DefaultAzureCredential when absent).
 */
export async function createServiceBusSource(deps: {
  config: Config;
  pipeline: IntakePipeline;
  logger: Logger;
  metrics?: Metrics;
  credential?: TokenCredential;
}): Promise<ServiceBusSource | undefined> {
  const sb = deps.config.sources.serviceBus;
  if (!sb) return undefined;
  const client = await createServiceBusClient(serviceBusConnectionFrom(deps.config, deps.credential));
  const listener = new ServiceBusListener({
    client,
    entities: sb.entities.map(entityRef),
    pipeline: deps.pipeline,
    logger: deps.logger,
    metrics: deps.metrics,
    concurrency: sb.concurrency,
    maxLockRenewalMs: sb.maxLockRenewal,
  });
  return {
    client,
    start: () => listener.start(),
    stop: async () => {
      await listener.stop();
      await client.close();
    },
  };
}
