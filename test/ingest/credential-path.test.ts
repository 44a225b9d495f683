import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeServiceBus } from '../fakes/amqp-broker.js';
import { selfSignedCert } from '../fakes/self-signed-cert.js';

let dir: string;
let bus: FakeServiceBus;

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'kvw-sb-tls-'));
  const { key, cert } = selfSignedCert();
  writeFileSync(path.join(dir, 'cert.pem'), cert);
  bus = await FakeServiceBus.start({
    queues: [{ name: 'audit', sessions: true }],
    tls: { key, cert },
    acceptToken: (token) => token === 'static-test-token',
  });
});

afterAll(async () => {
  await bus.close();
  rmSync(dir, { recursive: true, force: true });
});

/**
 * The credential path (namespace + TokenCredential) always uses TLS; the self-signed certificate can only be
 * trusted through NODE_EXTRA_CA_CERTS before a process starts, so the client runs in a child process.
 */
function runClient(token: string): Promise<{ code: number | null; out: string }> {
  const script = path.join(dir, 'client.mjs');
  writeFileSync(
    script,
    `import { createRequire } from 'node:module';
const require = createRequire(${JSON.stringify(path.resolve('package.json'))});
const { createServiceBusClient } = await import(${JSON.stringify(path.resolve('src/ingest/service-bus/service-bus-client.ts'))});
const scopes = [];
const credential = { getToken: async (scope) => { scopes.push(String(scope)); return { token: ${JSON.stringify(token)}, expiresOnTimestamp: Date.now() + 3600000 }; } };
const client = await createServiceBusClient({ namespace: '127.0.0.1', credential, endpoint: 'sb://127.0.0.1:' + process.env.KVW_SB_PORT });
try {
  const sender = client.createSender('audit');
  await sender.sendMessages({ body: 'x', sessionId: 'kv-a' });
  console.log(JSON.stringify({ ok: true, scopes }));
} catch (e) { console.log(JSON.stringify({ ok: false, scopes, error: String(e.code ?? e.message) })); }
await client.close();
process.exit(0);
`,
  );
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', script], {
      env: { ...process.env, NODE_EXTRA_CA_CERTS: path.join(dir, 'cert.pem'), KVW_SB_PORT: String(bus.port) },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.on('exit', (code) => resolve({ code, out }));
  });
}

describe('Service Bus credential path over TLS', () => {
  it('asks the credential for the Service Bus scope and presents its token on $cbs', async () => {
    const { out } = await runClient('static-test-token');
    const result = JSON.parse(out.trim().split('\n').pop()!) as { ok: boolean; scopes: string[] };
    expect(result.ok).toBe(true);
    expect(result.scopes).toContain('https://servicebus.azure.net//.default');
    expect(bus.authorizations.some((a) => a.type === 'jwt' && a.audience.includes('audit'))).toBe(true);
    expect(bus.entity('audit').messages.size).toBe(1);
  });
});
