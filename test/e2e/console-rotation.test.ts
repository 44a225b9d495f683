import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, launchChromium, type ServeProcess, startServe, stopServe } from './browser-harness.js';

let dir: string;
let serve: ServeProcess;
let browser: BrowserContext;
let page: Page;

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'kvw-e2e-rotation-'));
  serve = await startServe(dir, await freePort());
  browser = await launchChromium(path.join(dir, 'chromium-profile'), { width: 1400, height: 1100 });
  page = browser.pages()[0] ?? (await browser.newPage());
});

afterAll(async () => {
  await browser?.close();
  await stopServe(serve);
  await rm(dir, { recursive: true, force: true });
});

describe('two-person key rotation in the local console', () => {
  it('is requested by Alice from the command box, refused to Alice herself, approved by Carol, and ends done with the new version', async () => {
    await page.goto(serve.consoleUrl);
    await page.selectOption('#user', 'alice');

    // Alice (requester) asks from the command box; the reply and the channel card show the plan.
    await page.fill('#command', '/kv rotate kv-demo-payments storage-key quarterly rotation');
    await page.click('#command-form button[type=submit]');
    const reply = page.locator('#reply');
    await expect
      .poll(async () => (await reply.textContent()) ?? '', { timeout: 15_000 })
      .toMatch(/Rotation rot-[a-z0-9-]+ requested: regenerate key2 of stdemopayments/);
    const rotationId = /Rotation (rot-[a-z0-9-]+) requested/.exec((await reply.textContent()) ?? '')?.[1];
    expect(rotationId).toBeDefined();

    const card = page.locator('li.message.card').filter({ hasText: `Rotation ${rotationId}` });
    await expect.poll(() => card.count(), { timeout: 30_000, interval: 250 }).toBe(1);
    await expect
      .poll(async () => (await card.textContent()) ?? '', { timeout: 15_000 })
      .toContain('Waiting for approval');
    expect(await card.textContent()).toContain('quarterly rotation');
    const approve = card.getByRole('button', { name: 'Approve' });
    await approve.waitFor();

    // Alice clicks Approve on her own request: refused, the card stays as it was.
    const before = await card.locator('.card').innerHTML();
    await approve.click();
    const refusal = card.locator('.refusal');
    await refusal.waitFor({ timeout: 15_000 });
    expect(await refusal.textContent()).toMatch(/You requested this rotation, so you cannot approve it/);
    expect(await card.locator('.card').innerHTML()).toBe(before);
    expect(await card.textContent()).toContain('Waiting for approval');

    // Bob holds no approver role: refused as well.
    await page.selectOption('#user', 'bob');
    await approve.click();
    await expect
      .poll(async () => (await card.locator('.refusal').textContent()) ?? '', { timeout: 15_000 })
      .toMatch(/not authorised|lacks role/i);
    expect(await card.textContent()).toContain('Waiting for approval');

    // Carol (approver) approves: the rotation runs and the card ends done with the new version.
    await page.selectOption('#user', 'carol');
    await approve.click();
    await expect
      .poll(async () => (await card.textContent()) ?? '', { timeout: 30_000, interval: 250 })
      .toContain('Rotated');
    const text = (await card.textContent()) ?? '';
    expect(text).toMatch(/New version\s*[0-9a-f]{32}/);
    expect(text).toMatch(/Approvals\s*1 of 1: carol/);
    expect(await card.getByRole('button', { name: 'Approve' }).count()).toBe(0);

    // /kv rotations lists it as finished.
    await page.fill('#command', '/kv rotations');
    await page.click('#command-form button[type=submit]');
    await expect
      .poll(async () => (await reply.textContent()) ?? '', { timeout: 15_000 })
      .toMatch(new RegExp(`done\\s+Rotation ${rotationId} .*done, new version [0-9a-f]{32}`));

    await card.evaluate((el) => window.scrollTo(0, el.getBoundingClientRect().top + window.scrollY - 70));
    await page.screenshot({ path: '/tmp/console-rotation.png', fullPage: false });
  });

  it('stops gracefully on SIGTERM after the rotation', async () => {
    const exited = new Promise<number | null>((resolve) => serve.child.once('exit', resolve));
    serve.child.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(serve.output()).toContain('kv-warden: stopped');
  });
});
