import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { AppManifestUtils } from '@microsoft/app-manifest';
import type { AppsManifestCreateArguments } from '@slack/web-api';
import JSZip from 'jszip';
import { describe, expect, it } from 'vitest';
import YAML from 'yaml';
import { buildTeamsManifest } from '../../src/chat/teams/app-package.js';
import type { CommandIo } from '../../src/cli.js';
import { run } from '../../src/commands/manifest.js';
import { ConfigError } from '../../src/errors.js';

type SlackManifest = AppsManifestCreateArguments['manifest'];
const BOT_ID = '0a1b2c3d-1111-2222-3333-444455556666';

function io(cwd: string, env: NodeJS.ProcessEnv): CommandIo & { out: () => string } {
  const stdout = new PassThrough();
  let text = '';
  stdout.on('data', (c) => {
    text += String(c);
  });
  return { stdout, stderr: new PassThrough(), env, cwd, stopSignal: new Promise(() => {}), out: () => text };
}

function pngSize(buf: Buffer): { width: number; height: number } {
  expect(buf.subarray(0, 8)).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
  expect(buf.subarray(12, 16).toString()).toBe('IHDR');
  return { width: buf.readUInt32BE(16), height: buf.readUInt32BE(20) };
}

describe('kv-warden manifest (Teams app package)', () => {
  it('fills the template from config and env, zips it, and the result passes the offline Teams schema', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'kvw-manifest-'));
    await writeFile(path.join(dir, 'kv.yaml'), 'server:\n  publicUrl: https://kv-warden.contoso.com/\n');
    const cmd = io(dir, { CLIENT_ID: BOT_ID });
    expect(await run(['--config', 'kv.yaml', '--out', 'app.zip'], cmd)).toBe(0);
    expect(cmd.out()).toMatch(/app\.zip/);

    const zip = await JSZip.loadAsync(await readFile(path.join(dir, 'app.zip')));
    expect(Object.keys(zip.files).sort()).toEqual(['color.png', 'manifest.json', 'outline.png']);
    const manifest = JSON.parse(await zip.file('manifest.json')!.async('string'));
    expect(manifest).toMatchObject({
      id: BOT_ID,
      validDomains: ['kv-warden.contoso.com'],
      bots: [{ botId: BOT_ID, scopes: ['team', 'personal', 'groupChat'] }],
    });
    expect(Number(manifest.manifestVersion)).toBeGreaterThanOrEqual(1.17);
    expect(JSON.stringify(manifest)).not.toMatch(/\{\{/);
    const errors = await AppManifestUtils.validateAgainstSchema(manifest);
    expect(errors).toEqual([]);

    expect(pngSize(await zip.file('color.png')!.async('nodebuffer'))).toEqual({ width: 192, height: 192 });
    expect(pngSize(await zip.file('outline.png')!.async('nodebuffer'))).toEqual({ width: 32, height: 32 });
  });

  it('the schema validation catches a broken manifest (so the check above can fail)', async () => {
    const manifest = await buildTeamsManifest({
      botId: BOT_ID,
      publicUrl: 'https://kv.contoso.com',
      version: '1.0.0',
    });
    const broken = { ...manifest, bots: [{ botId: BOT_ID, scopes: ['everywhere'] }] };
    expect((await AppManifestUtils.validateAgainstSchema(broken as never)).length).toBeGreaterThan(0);
  });

  it.each([
    ['no CLIENT_ID', { botId: undefined, publicUrl: 'https://kv.contoso.com' }, 'env.CLIENT_ID'],
    [
      'a CLIENT_ID that is not a GUID',
      { botId: 'bot', publicUrl: 'https://kv.contoso.com' },
      'env.CLIENT_ID',
    ],
    ['no server.publicUrl', { botId: BOT_ID, publicUrl: undefined }, 'server.publicUrl'],
    ['an http publicUrl', { botId: BOT_ID, publicUrl: 'http://kv.contoso.com' }, 'server.publicUrl'],
  ])('refuses %s, naming the key', async (_name, inputs, keyPath) => {
    const err = await buildTeamsManifest({ ...inputs, version: '1.0.0' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).keyPath).toBe(keyPath);
  });
});

describe('manifest/slack-app.yaml', () => {
  it('is a Slack app manifest with the /kv command, interactivity and the scopes kv-warden uses', async () => {
    const text = await readFile(new URL('../../manifest/slack-app.yaml', import.meta.url), 'utf8');
    // Type-checked: the parsed YAML must fit @slack/web-api's manifest type.
    const manifest: SlackManifest = YAML.parse(text);
    expect(manifest.display_information.name).toBe('kv-warden');
    const kv = manifest.features?.slash_commands?.find((c) => c.command === '/kv');
    expect(kv?.url).toMatch(/\/slack\/events$/);
    expect(kv?.description).toBeTruthy();
    expect(manifest.settings?.interactivity).toMatchObject({ is_enabled: true });
    expect(manifest.settings?.interactivity?.request_url).toBe(kv?.url);
    expect(manifest.oauth_config?.scopes?.bot).toEqual(expect.arrayContaining(['chat:write', 'commands']));
    expect(typeof manifest.settings?.socket_mode_enabled).toBe('boolean');
    expect(manifest.features?.bot_user?.display_name).toBeTruthy();
    // Only keys the type knows (a typo would silently be ignored by Slack's importer).
    expect(Object.keys(manifest).sort()).toEqual([
      'display_information',
      'features',
      'oauth_config',
      'settings',
    ]);
  });
});
