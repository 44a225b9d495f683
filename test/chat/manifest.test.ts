import { mkdtemp, readdir, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { AppManifestUtils } from '@microsoft/app-manifest';
import JSZip from 'jszip';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { buildTeamsManifest } from '../../src/chat/teams/app-package.js';
import type { CommandIo } from '../../src/cli.js';
import { run } from '../../src/commands/manifest.js';
import { ConfigError } from '../../src/errors.js';
import { SLACK_METHOD_SCOPES } from '../fakes/slack-api.js';
import { manifestBotScopes, readSlackManifest } from './slack-helpers.js';

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
  it('is a Slack app manifest with the /kv command, interactivity and the scopes kv-warden uses', () => {
    const { manifest } = readSlackManifest();
    expect(manifest.display_information.name).toBe('kv-warden');
    const kv = manifest.features?.slash_commands?.find((c) => c.command === '/kv');
    expect(kv?.url).toMatch(/\/slack\/events$/);
    expect(kv?.description).toBeTruthy();
    expect(manifest.settings?.interactivity).toMatchObject({ is_enabled: true });
    expect(manifest.settings?.interactivity?.request_url).toBe(kv?.url);
    expect(manifest.oauth_config?.scopes?.bot).toEqual(expect.arrayContaining(['chat:write', 'commands']));
    expect(typeof manifest.settings?.socket_mode_enabled).toBe('boolean');
    expect(manifest.features?.bot_user?.display_name).toBeTruthy();
    // Only keys Slack's manifest schema has at the top level (the type allows any there).
    expect(Object.keys(manifest).sort()).toEqual([
      'display_information',
      'features',
      'oauth_config',
      'settings',
    ]);
  });

  it("type-checks against @slack/web-api's manifest type, and the check catches what it should", () => {
    const { manifest } = readSlackManifest();
    const [ours, scope, field, type] = slackManifestTypeErrors([
      manifest,
      { ...manifest, oauth_config: { scopes: { bot: ['chat:wrte', 'commands'] } } },
      { ...manifest, settings: { ...manifest.settings, interactivty: { is_enabled: true } } },
      { ...manifest, settings: { ...manifest.settings, socket_mode_enabled: 'yes' } },
    ]);
    expect(ours).toEqual([]);
    // The controls: a misspelt scope, an unknown field and a wrong type are each an error.
    expect(scope?.join('\n')).toMatch(/chat:wrte/);
    expect(field?.join('\n')).toMatch(/interactivty/);
    expect(type?.join('\n')).toMatch(/string.*boolean/s);
  }, 60_000);
});

describe('Slack scopes: docs, manifest and code agree', () => {
  /** Scopes no Web API call needs, and why the app asks for them. */
  const NOT_FROM_METHODS: Record<string, string> = {
    commands: 'the /kv slash command',
    'chat:write.public': 'posting alert cards to channels the bot was not invited to',
  };

  it('requests exactly the scopes the Web API methods kv-warden calls need, and the docs list the same', async () => {
    const called = await slackMethodsCalled();
    // Sanity: the scan sees the calls we know about.
    expect(called).toEqual(expect.arrayContaining(['chat.postMessage', 'chat.update', 'chat.postEphemeral']));
    const unknown = called.filter((m) => !(m in SLACK_METHOD_SCOPES));
    expect(unknown, 'methods with no known scope: add them to SLACK_METHOD_SCOPES').toEqual([]);
    const needed = new Set(called.map((m) => SLACK_METHOD_SCOPES[m]).filter((s): s is string => !!s));

    const manifestScopes = new Set(manifestBotScopes());
    const expected = new Set([...needed, ...Object.keys(NOT_FROM_METHODS)]);
    expect([...manifestScopes].sort()).toEqual([...expected].sort());

    const docs = await readFile(new URL('../../docs/readme/chat.md', import.meta.url), 'utf8');
    const line = /Bot scopes:((?:\s*`[^`]+`,?)+)/.exec(docs)?.[1] ?? '';
    const documented = [...line.matchAll(/`([^`]+)`/g)].map((m) => m[1]);
    expect(documented.sort()).toEqual([...manifestScopes].sort());
  });
});

/** Every `client.<family>.<method>(` call in source files that use the Slack SDK. */
async function slackMethodsCalled(): Promise<string[]> {
  const root = new URL('../../src/', import.meta.url);
  const files = (await readdir(root, { recursive: true })).filter((f) => f.endsWith('.ts'));
  const methods = new Set<string>();
  for (const file of files) {
    const text = await readFile(new URL(file, root), 'utf8');
    if (!text.includes('@slack/')) continue;
    for (const m of text.matchAll(/\bclient\.([a-z]+)\.([a-zA-Z]+)\(/g)) methods.add(`${m[1]}.${m[2]}`);
  }
  return [...methods].sort();
}

/**
 * Compiles `const m = <manifest> satisfies AppsManifestCreateArguments['manifest']` for each manifest (one
 * program, one virtual file each) with the project's compiler options, and returns each file's diagnostics:
 * literals are checked field by field, so a scope outside Slack's list, an unknown nested key or a wrong
 * type is an error.
 */
function slackManifestTypeErrors(manifests: readonly unknown[]): string[][] {
  const dir = fileURLToPath(new URL('.', import.meta.url));
  const sources = new Map(
    manifests.map((m, i) => [
      path.join(dir, `__slack-manifest-check-${i}__.ts`),
      `import type { AppsManifestCreateArguments } from '@slack/web-api';\nexport const manifest = ${JSON.stringify(m, null, 2)} satisfies AppsManifestCreateArguments['manifest'];\n`,
    ]),
  );
  const configPath = fileURLToPath(new URL('../../tsconfig.json', import.meta.url));
  const parsed = ts.parseJsonConfigFileContent(
    ts.readConfigFile(configPath, ts.sys.readFile).config,
    ts.sys,
    path.dirname(configPath),
  );
  const options = { ...parsed.options, noEmit: true, types: [] };
  const host = ts.createCompilerHost(options);
  const getSourceFile = host.getSourceFile.bind(host);
  host.getSourceFile = (name, language, ...rest) => {
    const text = sources.get(path.resolve(name));
    return text === undefined
      ? getSourceFile(name, language, ...rest)
      : ts.createSourceFile(name, text, language);
  };
  const fileExists = host.fileExists.bind(host);
  host.fileExists = (name) => sources.has(path.resolve(name)) || fileExists(name);
  const program = ts.createProgram([...sources.keys()], options, host);
  const global = program.getGlobalDiagnostics();
  return [...sources.keys()].map((file) =>
    [
      ...global,
      ...program.getSyntacticDiagnostics(program.getSourceFile(file)),
      ...program.getSemanticDiagnostics(program.getSourceFile(file)),
    ].map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n')),
  );
}
