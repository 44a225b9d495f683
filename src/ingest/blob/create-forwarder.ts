import type { TokenCredential } from '@azure/identity';
import type { ServiceBusClient } from '@azure/service-bus';
import { BlobServiceClient } from '@azure/storage-blob';
import { cloudEndpoints } from '../../azure/cloud-endpoints.js';
import { defaultCredential } from '../../azure/credential.js';
import type { Config } from '../../config/load.js';
import { ConfigError } from '../../errors.js';
import type { Store } from '../../store/store.js';
import type { Clock } from '../../util/clock.js';
import type { Logger } from '../../util/logger.js';
import type { Metrics } from '../../util/metrics.js';
import type { IntakePipeline } from '../pipeline.js';
import { createServiceBusClient, serviceBusConnectionFrom } from '../service-bus/service-bus-client.js';
import { AzureBlobContainer } from './blob-container.js';
import { BlobForwarder } from './blob-forwarder.js';
import type { ForwarderSink } from './forwarder-sink.js';
import { PipelineSink } from './pipeline-sink.js';
import { ServiceBusSink } from './service-bus-sink.js';

/** A configured forwarder with what it opened (closed by `close`). */
export interface BlobSource {
  readonly forwarder: BlobForwarder;
  readonly pollIntervalMs: number;
  /** `servicebus:<queue>` or `pipeline`. */
  readonly target: string;
  close(): Promise<void>;
}

/**
 * Builds the blob forwarder for `sources.blob`. Storage: AZURE_STORAGE_CONNECTION_STRING, else
 * `accountUrl` + credential. Target: the `sendTo` queue when set (needs a Service Bus connection),
 * else the in-process `pipeline` (serve's embedded use).
 */
export async function createBlobSource(deps: {
  config: Config;
  store: Store;
  clock: Clock;
  logger: Logger;
  metrics?: Metrics;
  pipeline?: IntakePipeline;
  credential?: TokenCredential;
}): Promise<BlobSource> {
  const blob = deps.config.sources.blob;
  if (!blob) throw new ConfigError('sources.blob', 'is not configured');
  const service = await blobService(deps.config, deps.credential);
  let sink: ForwarderSink;
  let client: ServiceBusClient | undefined;
  let target: string;
  if (blob.sendTo) {
    client = await createServiceBusClient(serviceBusConnectionFrom(deps.config, deps.credential));
    sink = new ServiceBusSink(client.createSender(blob.sendTo));
    target = `servicebus:${blob.sendTo}`;
  } else if (deps.pipeline) {
    sink = new PipelineSink(deps.pipeline);
    target = 'pipeline';
  } else {
    throw new ConfigError(
      'sources.blob.sendTo',
      'name the Service Bus queue to forward to (in-process forwarding runs inside `kv-warden serve`)',
    );
  }
  const forwarder = new BlobForwarder({
    container: new AzureBlobContainer(service.getContainerClient(blob.container)),
    containerName: blob.container,
    vaults: blob.vaults,
    sink,
    store: deps.store,
    clock: deps.clock,
    logger: deps.logger,
    metrics: deps.metrics,
  });
  return {
    forwarder,
    pollIntervalMs: blob.pollInterval,
    target,
    close: async () => {
      await client?.close();
    },
  };
}

async function blobService(config: Config, credential?: TokenCredential): Promise<BlobServiceClient> {
  const conn = config.env.storage.connectionString;
  if (conn) return BlobServiceClient.fromConnectionString(conn);
  const url = config.sources.blob?.accountUrl;
  if (!url) {
    throw new ConfigError(
      'sources.blob.accountUrl',
      'set an accountUrl (DefaultAzureCredential) or AZURE_STORAGE_CONNECTION_STRING',
    );
  }
  const cred = credential ?? (await defaultCredential(cloudEndpoints(config.azure)));
  return new BlobServiceClient(url, cred);
}
