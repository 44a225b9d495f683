import type { CommandIo } from '../cli.js';
import { loadConfig, resolveConfigPath } from '../config/load.js';
import { ConfigError, UsageError } from '../errors.js';
import { entityRef, findEntity } from '../ingest/service-bus/entity.js';
import { replayDeadLetters } from '../ingest/service-bus/replay-dead-letters.js';
import {
  createServiceBusClient,
  serviceBusConnectionFrom,
} from '../ingest/service-bus/service-bus-client.js';

const USAGE = 'usage: kv-warden replay-dlq [--config FILE] [--entity NAME] [--dry-run] [--max N]';

/**
 * `kv-warden replay-dlq`: lists the dead-lettered messages of the configured Service Bus entities (or
 * `--entity queue` / `topic/subscription`) with their reason and description — metadata only, never
 * bodies — and moves them back to their entity. `--dry-run` only lists (peek, nothing locked or moved).
 */
export async function run(args: string[], io: CommandIo): Promise<number> {
  let configFlag: string | undefined;
  let entityName: string | undefined;
  let dryRun = false;
  let max = 1_000;
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    const value = () => {
      const v = args[++i];
      if (!v) throw new UsageError(`${a} needs a value\n${USAGE}`);
      return v;
    };
    if (a === '--config') configFlag = value();
    else if (a === '--entity') entityName = value();
    else if (a === '--dry-run') dryRun = true;
    else if (a === '--max') {
      max = Number(value());
      if (!Number.isInteger(max) || max < 1)
        throw new UsageError(`--max must be a positive integer\n${USAGE}`);
    } else if (a === '-h' || a === '--help') {
      io.stdout.write(`${USAGE}\n`);
      return 0;
    } else throw new UsageError(`unknown argument "${a}"\n${USAGE}`);
  }
  const file = resolveConfigPath(configFlag, io.env, io.cwd);
  const config = loadConfig({ ...(file ? { file } : {}), env: io.env });
  const sb = config.sources.serviceBus;
  if (!sb) throw new ConfigError('sources.serviceBus', 'no Service Bus entities are configured');
  const entities = entityName ? [findEntity(sb.entities, entityName)] : sb.entities.map(entityRef);
  if (entities[0] === undefined) {
    throw new UsageError(`--entity ${entityName} is not one of sources.serviceBus.entities`);
  }
  const client = await createServiceBusClient(serviceBusConnectionFrom(config));
  let total = 0;
  try {
    for (const entity of entities) {
      if (!entity) continue;
      const done = await replayDeadLetters(client, entity, {
        dryRun,
        max,
        onMessage: (m) =>
          io.stdout.write(
            `${m.entity} seq=${m.sequenceNumber} id=${m.messageId}${m.sessionId ? ` session=${m.sessionId}` : ''}` +
              ` deliveries=${m.deliveryCount ?? '?'} reason=${m.reason}: ${m.description}${m.moved ? ' → replayed' : ''}\n`,
          ),
      });
      total += done.length;
    }
  } finally {
    await client.close();
  }
  io.stdout.write(`${dryRun ? 'listed' : 'replayed'} ${total} dead-lettered message(s)\n`);
  return 0;
}
