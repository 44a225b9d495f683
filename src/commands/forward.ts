import type { DestinationStream } from 'pino';
import { cloudEndpoints } from '../azure/cloud-endpoints.js';
import { defaultCredential } from '../azure/credential.js';
import type { CommandIo } from '../cli.js';
import { loadConfig, resolveConfigPath } from '../config/load.js';
import { UsageError } from '../errors.js';
import { createBlobSource } from '../ingest/blob/create-forwarder.js';
import { createStore } from '../store/create-store.js';
import { systemClock } from '../util/clock.js';
import { createLogger } from '../util/logger.js';
import { Metrics } from '../util/metrics.js';

const USAGE = 'usage: kv-warden forward [--config FILE] [--once]';

/**
 * `kv-warden forward [--config FILE] [--once]`: follows the Key Vault audit blobs of `sources.blob` and
 * sends new records to the `sources.blob.sendTo` Service Bus queue (MessageId = content hash,
 * SessionId = vault), checkpointing per-blob byte offsets in the configured store. `--once` makes
 * one pass and prints `{"blobs","bytes","records"}`; otherwise it polls every `pollInterval` until stopped.
 */
export async function run(args: string[], io: CommandIo): Promise<number> {
  let configFlag: string | undefined;
  let once = false;
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === '--once') once = true;
    else if (a === '--config') {
      configFlag = args[++i];
      if (!configFlag) throw new UsageError(`--config needs a FILE\n${USAGE}`);
    } else if (a.startsWith('--config=')) configFlag = a.slice('--config='.length);
    else if (a === '-h' || a === '--help') {
      io.stdout.write(`${USAGE}\n`);
      return 0;
    } else throw new UsageError(`unknown argument "${a}"\n${USAGE}`);
  }
  const file = resolveConfigPath(configFlag, io.env, io.cwd);
  const config = loadConfig({ ...(file ? { file } : {}), env: io.env });
  const logger = createLogger({
    level: config.logging.level,
    destination: io.stderr as unknown as DestinationStream,
    name: 'kv-warden-forward',
  });
  const store = await createStore(config, {
    cwd: io.cwd,
    ...('azureTable' in config.store && config.store.azureTable.endpoint
      ? { credential: await defaultCredential(cloudEndpoints(config.azure)) }
      : {}),
  });
  const source = await createBlobSource({
    config,
    store,
    clock: systemClock,
    logger,
    metrics: new Metrics(),
  });
  try {
    if (once) {
      const r = await source.forwarder.pollOnce();
      io.stdout.write(`${JSON.stringify({ ...r, target: source.target })}\n`);
    } else {
      logger.info({ target: source.target, pollIntervalMs: source.pollIntervalMs }, 'forwarder started');
      await source.forwarder.run(source.pollIntervalMs, io.stopSignal);
    }
  } finally {
    await source.close();
    await store.close();
  }
  return 0;
}
