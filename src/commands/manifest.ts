import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { buildTeamsAppPackage } from '../chat/teams/app-package.js';
import type { CommandIo } from '../cli.js';
import { loadConfig, resolveConfigPath } from '../config/load.js';
import { UsageError } from '../errors.js';

/**
 * `kv-warden manifest [--config FILE] [--out FILE]`: builds the Teams app package (manifest.json
 * from manifest/teams/manifest.template.json with CLIENT_ID as bot and app id and the domain of
 * `server.publicUrl`, plus the icons) as a zip to upload in Teams.
 */
export async function run(args: string[], io: CommandIo): Promise<number> {
  let configFlag: string | undefined;
  let out = 'kv-warden-teams.zip';
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (arg === '--config' || arg === '--out') {
      const value = args[++i];
      if (!value) throw new UsageError(`${arg} needs a file`);
      if (arg === '--config') configFlag = value;
      else out = value;
    } else {
      throw new UsageError(`manifest: unknown argument "${arg}"`);
    }
  }
  const file = resolveConfigPath(configFlag, io.env, io.cwd);
  const config = loadConfig({ env: io.env, ...(file ? { file } : {}) });
  const pkg = JSON.parse(await readFile(new URL('../../package.json', import.meta.url), 'utf8')) as {
    version: string;
  };
  const zip = await buildTeamsAppPackage({
    botId: config.env.teams.clientId,
    publicUrl: config.server.publicUrl,
    version: pkg.version,
  });
  const target = path.resolve(io.cwd, out);
  await writeFile(target, zip);
  io.stdout.write(
    `wrote ${target} (${zip.length} bytes): upload it in Teams → Apps → Manage your apps → Upload an app\n`,
  );
  return 0;
}
