import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { type BrowserContext, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const CHROMIUM = '/usr/bin/chromium';
const ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** Starts `kv-warden serve --demo` in a temp directory (so its DuckDB file is fresh) and waits for the console URL. */
async function startServe(
  cwd: string,
  port: number,
): Promise<{ child: ChildProcess; consoleUrl: string; output: () => string }> {
  const bin = path.resolve('bin/kv-warden.js');
  const child = spawn(process.execPath, [bin, 'serve', '--demo', '--port', String(port)], {
    cwd,
    env: { PATH: process.env.PATH, HOME: cwd, NODE_ENV: 'test' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stderr?.on('data', (c: Buffer) => {
    err += c.toString();
  });
  const consoleUrl = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`serve did not print the console URL:\n${out}\n${err}`)),
      60_000,
    );
    child.stdout?.on('data', (c: Buffer) => {
      out += c.toString();
      const m = /console: (http:\/\/127\.0\.0\.1:\d+\/\?token=[A-Za-z0-9_-]+)/.exec(out);
      if (m?.[1]) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    });
    child.once('exit', (code) => reject(new Error(`serve exited with ${code}:\n${out}\n${err}`)));
  });
  return { child, consoleUrl, output: () => out + err };
}

let dir: string;
let serve: Awaited<ReturnType<typeof startServe>>;
let browser: BrowserContext;
let page: Page;

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'kvw-e2e-'));
  serve = await startServe(dir, await freePort());
  browser = await chromium.launchPersistentContext(path.join(dir, 'chromium-profile'), {
    executablePath: CHROMIUM,
    headless: true,
    args: ARGS,
    viewport: { width: 1400, height: 1000 },
  });
  page = browser.pages()[0] ?? (await browser.newPage());
});

afterAll(async () => {
  await browser?.close();
  if (serve?.child.exitCode === null) {
    const exited = new Promise((resolve) => serve.child.once('exit', resolve));
    serve.child.kill('SIGTERM');
    await exited;
  }
  await rm(dir, { recursive: true, force: true });
});

const cardWith = (text: string) => page.locator('li.message.card').filter({ hasText: text });

describe('local console in a browser', () => {
  it('refuses the page without the token', async () => {
    const bare = serve.consoleUrl.replace(/\?token=.*$/, '');
    const res = await fetch(bare);
    expect(res.status).toBe(401);
  });

  it('shows demo alert cards, refuses a click by a person without a role, and records a responder’s acknowledgement', async () => {
    await page.goto(serve.consoleUrl);
    // The token moved into a cookie and out of the address bar.
    expect(page.url()).not.toContain('token=');
    // The demo replay fires several rules; their cards arrive over server-sent events.
    await expect
      .poll(() => page.locator('li.message.card').count(), { timeout: 90_000, interval: 500 })
      .toBeGreaterThanOrEqual(5);
    const card = cardWith('destructive-operation').first();
    await expect.poll(() => card.count(), { timeout: 30_000 }).toBe(1);
    const id = await card.getAttribute('data-message-id');
    const target = page.locator(`li[data-message-id="${id}"]`);
    const ack = target.getByRole('button', { name: 'Acknowledge' });
    await ack.waitFor();
    // Let the replay finish this alert (delete then purge: one card, count 2) so only clicks change it now.
    await expect
      .poll(async () => (await target.textContent()) ?? '', { timeout: 60_000 })
      .toContain('SecretPurge');

    // Mallory holds no role: the click is refused and the card does not change.
    await page.selectOption('#user', 'mallory');
    const before = await target.locator('.card').innerHTML();
    await ack.click();
    const refusal = target.locator('.refusal');
    await refusal.waitFor({ timeout: 15_000 });
    expect(await refusal.textContent()).toMatch(/not authorised/i);
    expect(await target.locator('.card').innerHTML()).toBe(before);
    await expect.poll(() => ack.count()).toBe(1);

    // Alice is a responder: the card updates in place with her name and the time.
    await page.selectOption('#user', 'alice');
    await ack.click();
    await expect
      .poll(async () => (await target.textContent()) ?? '', { timeout: 15_000 })
      .toMatch(/Acknowledged — Alice acknowledged this at \d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2} UTC/);
    expect(await target.getByRole('button', { name: 'Acknowledge' }).count()).toBe(0);
    // Every card shows the rule that raised it.
    const texts = await page.locator('li.message.card').allTextContents();
    expect(
      new Set(texts.map((t) => /Rule\s*([a-z-]+)/.exec(t)?.[1]).filter(Boolean)).size,
    ).toBeGreaterThanOrEqual(5);
    await target.evaluate((el) => window.scrollTo(0, el.getBoundingClientRect().top + window.scrollY - 70));
    await page.screenshot({ path: '/tmp/console.png', fullPage: false });
  });

  it('runs a /kv command from the command box as the selected person', async () => {
    await page.selectOption('#user', 'alice');
    await page.fill('#command', '/kv alerts');
    await page.click('#command-form button[type=submit]');
    const reply = page.locator('#reply');
    await expect
      .poll(async () => (await reply.textContent()) ?? '', { timeout: 15_000 })
      .toContain('Open alerts');
  });

  it('stops gracefully on SIGTERM', async () => {
    const exited = new Promise<number | null>((resolve) => serve.child.once('exit', resolve));
    serve.child.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(serve.output()).toContain('kv-warden: stopped');
  });
});
