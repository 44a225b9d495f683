import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Azurite, startAzurite } from '../fakes/azurite.js';
import { selfSignedCert } from '../fakes/self-signed-cert.js';

let dir: string;
let azurite: Azurite;
let tableEndpoint: string;

/**
 * Azurite over HTTPS with `--oauth basic`: it takes a bearer token only over TLS and checks its
 * audience (storage), issuer (Entra), nbf/exp and account — what the real service checks, except the signature.
 */
beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'kvw-table-oauth-'));
  const { key, cert } = selfSignedCert();
  writeFileSync(path.join(dir, 'key.pem'), key);
  writeFileSync(path.join(dir, 'cert.pem'), cert);
  azurite = await startAzurite({
    tls: { certFile: path.join(dir, 'cert.pem'), keyFile: path.join(dir, 'key.pem') },
    oauth: true,
  });
  tableEndpoint = azurite.tableEndpoint;
});

afterAll(async () => {
  azurite?.stop();
  rmSync(dir, { recursive: true, force: true });
});

interface ClientResult {
  readonly ok: boolean;
  readonly scopes: string[];
  readonly stored?: unknown;
  readonly error?: string;
}

/**
 * `serve`'s composition root against that endpoint with an injected credential. Azure SDK bearer auth needs
 * TLS, and the self-signed certificate can only be trusted through NODE_EXTRA_CA_CERTS before a process
 * starts, so createApp runs in a child process (with the test network guard loaded first).
 */
function runApp(issuer: string): Promise<ClientResult> {
  const script = path.join(dir, `app-${Date.now()}.mjs`);
  writeFileSync(
    script,
    `await import(${JSON.stringify(path.resolve('test/setup/network-guard.ts'))});
const { createApp } = await import(${JSON.stringify(path.resolve('src/app.ts'))});
const { loadConfig } = await import(${JSON.stringify(path.resolve('src/config/load.ts'))});
const { silentLogger } = await import(${JSON.stringify(path.resolve('src/util/logger.ts'))});
const b64 = (o) => Buffer.from(JSON.stringify(o)).toString('base64url');
const now = Math.floor(Date.now() / 1000);
const jwt = b64({ alg: 'RS256', typ: 'JWT' }) + '.' +
  b64({ aud: 'https://storage.azure.com', iss: ${JSON.stringify(issuer)}, iat: now - 60, nbf: now - 60, exp: now + 3600, oid: '11111111-2222-4333-8444-555555555555' }) + '.c2ln';
const scopes = [];
const credential = { getToken: async (s) => { scopes.push(...[s].flat()); return { token: jwt, expiresOnTimestamp: Date.now() + 3600000 }; } };
const config = loadConfig({ text: 'store:\\n  azureTable: { endpoint: "${tableEndpoint}", tablePrefix: kvwoauth }\\nserver: { port: 0 }\\n', env: {} });
try {
  const app = await createApp(config, { logger: silentLogger, credential, cwd: ${JSON.stringify(dir)} });
  await app.start();
  await app.context.store.create('probe', 'p1', { hello: 'table' });
  const stored = (await app.context.store.get('probe', 'p1'))?.value;
  await app.stop();
  console.log(JSON.stringify({ ok: true, scopes, stored }));
} catch (e) {
  console.log(JSON.stringify({ ok: false, scopes, error: [e?.statusCode, e?.code, String(e?.message ?? e).split('\\n').filter((l) => /AuthenticationErrorDetail|credential/.test(l)).join(' ').trim()].filter(Boolean).join(' ') }));
}
process.exit(0);
`,
  );
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', script], {
      env: { ...process.env, NODE_EXTRA_CA_CERTS: path.join(dir, 'cert.pem') },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.on('exit', () => resolve(JSON.parse(out.trim().split('\n').pop() ?? '{}') as ClientResult));
  });
}

describe('serve with store.azureTable.endpoint (Entra credential, no connection string)', () => {
  it('hands the credential to the Table store: tables are created and documents written with its token', async () => {
    const result = await runApp('https://sts.windows.net/72f988bf-86f1-41af-91ab-2d7cd011db47/');
    expect(result.error).toBeUndefined();
    expect(result.ok).toBe(true);
    expect(result.scopes).toContain('https://storage.azure.com/.default');
    expect(result.stored).toEqual({ hello: 'table' });
  });

  it('fails at start with the service refusal, not a configuration error, when the token is not accepted', async () => {
    const result = await runApp('https://evil.example.com/tenant/');
    expect(result.ok).toBe(false);
    expect(result.scopes).toContain('https://storage.azure.com/.default');
    expect(result.error).not.toMatch(/an Azure credential is needed/);
    expect(result.error).toMatch(/^403 .*Invalid token issuer/);
  });
});
