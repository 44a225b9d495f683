import { readFile } from 'node:fs/promises';
import JSZip from 'jszip';
import { ConfigError } from '../../errors.js';

/** manifest/teams at the package root (from src/chat/teams and a compiled dist/chat/teams alike). */
export const TEAMS_MANIFEST_DIR = new URL('../../../manifest/teams/', import.meta.url);
const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export interface ManifestInputs {
  /** The Azure Bot's Microsoft App ID (CLIENT_ID); also the Teams app id. */
  readonly botId: string | undefined;
  /** `server.publicUrl`: the https base Teams and Slack reach the bot at. */
  readonly publicUrl: string | undefined;
  /** The app version (package.json), three numeric parts. */
  readonly version: string;
}

/** Fills manifest/teams/manifest.template.json; throws ConfigError naming what is missing. */
export async function buildTeamsManifest(inputs: ManifestInputs): Promise<Record<string, unknown>> {
  if (!inputs.botId || !GUID.test(inputs.botId)) {
    throw new ConfigError(
      'env.CLIENT_ID',
      "must be the Azure Bot's Microsoft App ID (a GUID) to build the Teams app",
    );
  }
  if (!inputs.publicUrl)
    throw new ConfigError('server.publicUrl', 'is required to build the Teams app (valid domains)');
  const url = new URL(inputs.publicUrl);
  if (url.protocol !== 'https:') throw new ConfigError('server.publicUrl', 'must be an https URL for Teams');
  if (!/^\d+\.\d+\.\d+$/.test(inputs.version))
    throw new ConfigError('(version)', `"${inputs.version}" is not x.y.z`);
  const values: Record<string, string> = {
    BOT_ID: inputs.botId.toLowerCase(),
    PUBLIC_URL: url.origin,
    DOMAIN: url.host,
    VERSION: inputs.version,
  };
  const template = JSON.parse(
    await readFile(new URL('manifest.template.json', TEAMS_MANIFEST_DIR), 'utf8'),
  ) as unknown;
  return fill(template, values) as Record<string, unknown>;
}

/** The Teams app package: manifest.json plus the two icons, zipped at the root as Teams expects. */
export async function buildTeamsAppPackage(inputs: ManifestInputs): Promise<Buffer> {
  const manifest = await buildTeamsManifest(inputs);
  const zip = new JSZip();
  zip.file('manifest.json', `${JSON.stringify(manifest, null, 2)}\n`);
  for (const icon of ['color.png', 'outline.png']) {
    zip.file(icon, await readFile(new URL(icon, TEAMS_MANIFEST_DIR)));
  }
  return zip.generateAsync({ type: 'nodebuffer', compression: 'DEFLATE' });
}

function fill(node: unknown, values: Record<string, string>): unknown {
  if (typeof node === 'string') {
    return node.replace(/\{\{([A-Z_]+)\}\}/g, (m, key: string) => values[key] ?? m);
  }
  if (Array.isArray(node)) return node.map((n) => fill(n, values));
  if (typeof node === 'object' && node !== null) {
    return Object.fromEntries(Object.entries(node).map(([k, v]) => [k, fill(v, values)]));
  }
  return node;
}
