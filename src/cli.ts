import { ErrorCode, isCodedError } from './errors.js';

/** What a command gets from the outside world: streams, environment, working directory. */
export interface CommandIo {
  readonly stdout: NodeJS.WritableStream;
  readonly stderr: NodeJS.WritableStream;
  readonly env: NodeJS.ProcessEnv;
  readonly cwd: string;
  /** Resolves when the process is asked to stop (SIGTERM/SIGINT); long-running commands await it. */
  readonly stopSignal: Promise<void>;
}

export type Command = (args: string[], io: CommandIo) => Promise<number>;

const COMMANDS: Record<string, () => Promise<{ run: Command }>> = {
  serve: () => import('./commands/serve.js'),
  detect: () => import('./commands/detect.js'),
  forward: () => import('./commands/forward.js'),
  query: () => import('./commands/query.js'),
  doctor: () => import('./commands/doctor.js'),
  manifest: () => import('./commands/manifest.js'),
  'replay-dlq': () => import('./commands/replay-dlq.js'),
};

export const USAGE = `usage: kv-warden <command> [options]

commands:
  serve   [--config FILE] [--demo] [--port N]     run the bot (default)
  detect  [--config FILE] PATH...                 batch detection over files/folders; alerts as JSON Lines
  forward [--config FILE] [--once]                blob → Service Bus forwarder
  query   NAME [--vault V] [--since DUR] [--caller ID] [--print kql|sql] [--format table|json|csv] [--config FILE]
  doctor  [--config FILE]                         check configuration, reachability, permissions
  manifest [--config FILE] [--out FILE]           build the Teams app package (zip)
  replay-dlq [--config FILE] [--entity NAME]      move dead-lettered messages back to their queue

exit codes: 0 ok, 1 failure, 2 usage or configuration error, 3 input partly malformed`;

/** Entry point: returns the process exit code. */
export async function main(argv: string[], io?: Partial<CommandIo>): Promise<number> {
  const stopSignal =
    io?.stopSignal ??
    new Promise<void>((resolve) => {
      process.once('SIGTERM', () => resolve());
      process.once('SIGINT', () => resolve());
    });
  const fullIo: CommandIo = {
    stdout: io?.stdout ?? process.stdout,
    stderr: io?.stderr ?? process.stderr,
    env: io?.env ?? process.env,
    cwd: io?.cwd ?? process.cwd(),
    stopSignal,
  };
  const [name = 'serve', ...rest] = argv;
  if (name === '--help' || name === '-h' || name === 'help') {
    fullIo.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const load = COMMANDS[name];
  if (!load) {
    fullIo.stderr.write(`kv-warden: unknown command "${name}"\n${USAGE}\n`);
    return 2;
  }
  try {
    const { run } = await load();
    return await run(rest, fullIo);
  } catch (err) {
    return reportFatal(err, fullIo);
  }
}

/** Prints an error the way the CLI contract says and returns its exit code. */
export function reportFatal(err: unknown, io: Pick<CommandIo, 'stderr'>): number {
  if (isCodedError(err)) {
    io.stderr.write(`kv-warden: ${err.message}\n`);
    return err.code === ErrorCode.Usage || err.code === ErrorCode.ConfigInvalid ? 2 : 1;
  }
  io.stderr.write(`kv-warden: ${(err as Error)?.stack ?? String(err)}\n`);
  return 1;
}
