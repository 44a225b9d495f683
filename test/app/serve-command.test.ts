import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { main } from '../../src/cli.js';
import { parseServeArgs } from '../../src/commands/serve.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'kvw-serve-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

function capture() {
  const stream = new PassThrough();
  let text = '';
  stream.on('data', (c: Buffer) => {
    text += c.toString();
  });
  return { stream, text: () => text };
}

describe('kv-warden serve', () => {
  it('parses its flags and names a bad one', () => {
    expect(parseServeArgs(['--config', 'x.yaml', '--demo', '--port', '8080'])).toEqual({
      config: 'x.yaml',
      demo: true,
      port: 8080,
    });
    expect(parseServeArgs(['--port=0'])).toEqual({ demo: false, port: 0 });
    expect(() => parseServeArgs(['--port', 'http'])).toThrow(/--port/);
    expect(() => parseServeArgs(['--verbose'])).toThrow(/unknown option "--verbose"/);
  });

  it('runs embedded with demo data when nothing is configured, prints the console URL, and stops on the signal', async () => {
    const out = capture();
    const err = capture();
    let stop = () => {};
    const stopSignal = new Promise<void>((resolve) => {
      stop = resolve;
    });
    const running = main(['serve', '--port', '0'], {
      stdout: out.stream,
      stderr: err.stream,
      env: {},
      cwd: dir,
      stopSignal,
    });
    for (let i = 0; i < 200 && !out.text().includes('console:'); i++)
      await new Promise((r) => setTimeout(r, 50));
    expect(out.text()).toMatch(/listening on http:\/\/127\.0\.0\.1:\d+ \(demo data\)/);
    expect(out.text()).toMatch(/console: http:\/\/127\.0\.0\.1:\d+\/\?token=[A-Za-z0-9_-]{43}\n/);
    stop();
    expect(await running).toBe(0);
    expect(out.text()).toContain('kv-warden: stopped');
  });

  it('exits 2 naming server.port when the port is taken', async () => {
    const blocker: Server = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const address = blocker.address();
    const port = typeof address === 'object' && address ? address.port : 0;
    const err = capture();
    try {
      const code = await main(['serve', '--port', String(port)], {
        stdout: capture().stream,
        stderr: err.stream,
        env: {},
        cwd: dir,
        stopSignal: new Promise(() => {}),
      });
      expect(code).toBe(2);
      expect(err.text()).toContain(`server.port: port ${port} on 127.0.0.1 is already in use`);
    } finally {
      blocker.close();
    }
  });
});
