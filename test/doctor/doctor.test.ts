import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { BlobServiceClient } from '@azure/storage-blob';
import { describe, expect, inject, it } from 'vitest';
import { main } from '../../src/cli.js';
import { loadConfig } from '../../src/config/load.js';
import { runDoctor } from '../../src/doctor/run-doctor.js';

function capture(): { stream: PassThrough; text: () => string } {
  const stream = new PassThrough();
  let text = '';
  stream.on('data', (c: Buffer) => {
    text += c.toString();
  });
  return { stream, text: () => text };
}

async function cli(args: string[], env: NodeJS.ProcessEnv) {
  const out = capture();
  const err = capture();
  const code = await main(args, {
    stdout: out.stream,
    stderr: err.stream,
    env,
    stopSignal: new Promise(() => {}),
  });
  return { code, stdout: out.text(), stderr: err.text() };
}

describe('kv-warden doctor', () => {
  it('exits 2 and names the key for a bad configuration', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'doctor-'));
    const file = path.join(dir, 'bad.yaml');
    writeFileSync(file, 'detection:\n  grantRevokeWindow: soon\n');
    const r = await cli(['doctor', '--config', file], {});
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('detection.grantRevokeWindow');
  });

  it('passes on embedded defaults and prints the role list', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'doctor-'));
    const r = await cli(['doctor'], { KV_WARDEN_CONFIG: '', PWD: dir });
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/ok {4}configuration/);
    expect(r.stdout).toContain('Storage Account Key Operator Service Role');
  });

  it('reaches Azurite blob and table storage and names a missing container', async () => {
    const conn = inject('azuriteConnectionString');
    const service = BlobServiceClient.fromConnectionString(conn);
    await service.getContainerClient('insights-logs-auditevent').createIfNotExists();
    const env = { AZURE_STORAGE_CONNECTION_STRING: conn, AZURE_TABLES_CONNECTION_STRING: conn };
    const good = loadConfig({
      text: 'sources:\n  blob: { container: insights-logs-auditevent }\nstore:\n  azureTable: {}\n',
      env,
    });
    const out = capture();
    expect(await runDoctor(good, { out: out.stream })).toEqual([]);
    expect(out.text()).toMatch(/ok {4}source: blob container insights-logs-auditevent: container readable/);
    expect(out.text()).toMatch(/ok {4}store: Azure Table Storage: reachable/);

    const missing = loadConfig({ text: 'sources:\n  blob: { container: no-such-container }\n', env });
    const problems = await runDoctor(missing, { out: capture().stream });
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(
      /blob container no-such-container: container no-such-container does not exist/,
    );
  });

  it('refuses a configuration where a requester has no one else to approve', async () => {
    const cfg = loadConfig({
      text: 'people:\n  alice: {}\nroles:\n  requester: [alice]\n  approver: [alice]\n',
      env: {},
    });
    const problems = await runDoctor(cfg, { out: capture().stream });
    expect(problems).toEqual([
      expect.stringMatching(/two-person rule: no approver other than themselves for alice/),
    ]);
  });

  it('reports an unreachable endpoint instead of hanging', async () => {
    const conn =
      'DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==;TableEndpoint=http://127.0.0.1:1/devstoreaccount1;';
    const cfg = loadConfig({
      text: 'store:\n  azureTable: {}\n',
      env: { AZURE_TABLES_CONNECTION_STRING: conn },
    });
    const out = capture();
    const problems = await runDoctor(cfg, { out: out.stream, timeoutMs: 5_000 });
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/^store: Azure Table Storage: /);
    expect(out.text()).not.toContain('Eby8vdM02');
  });
});
