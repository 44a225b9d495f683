import type { CommandIo } from '../cli.js';
import { loadConfig, resolveConfigPath } from '../config/load.js';
import { runDoctor } from '../doctor/run-doctor.js';
import { UsageError } from '../errors.js';

/** `kv-warden doctor [--config FILE]`: validates config, probes every endpoint, prints the role list. */
export async function run(args: string[], io: CommandIo): Promise<number> {
  let configFlag: string | undefined;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (arg === '--config') {
      configFlag = args[++i];
      if (!configFlag) throw new UsageError('--config needs a file');
    } else {
      throw new UsageError(`doctor: unknown argument "${arg}"`);
    }
  }
  const file = resolveConfigPath(configFlag, io.env, io.cwd);
  const config = loadConfig({ env: io.env, ...(file ? { file } : {}) });
  const problems = await runDoctor(config, { out: io.stdout });
  return problems.length === 0 ? 0 : 1;
}
