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
  dir = await mkdtemp(path.join(tmpdir(), 'kvw-e2e-'));
  serve = await startServe(dir, await freePort());
  browser = await launchChromium(path.join(dir, 'chromium-profile'), { width: 1400, height: 1000 });
  page = browser.pages()[0] ?? (await browser.newPage());
});

afterAll(async () => {
  await browser?.close();
  await stopServe(serve);
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

  it('answers a pivot button on the page that clicked only: a refusal for a non-viewer, the result card for a viewer', async () => {
    const card = cardWith('destructive-operation').first();
    const id = await card.getAttribute('data-message-id');
    const target = page.locator(`li[data-message-id="${id}"]`);
    const pivot = target.getByRole('button', { name: "This caller's activity" });
    await pivot.waitFor();
    // Text and buttons (the renderer itself restyles a clicked action set, so not the raw HTML).
    const cardState = async () => ({
      text: await target.locator('.card').textContent(),
      buttons: await target.locator('.card').getByRole('button').allTextContents(),
    });
    const before = await cardState();

    // Mallory holds no role, so not viewer: refused, and no result appears.
    await page.selectOption('#user', 'mallory');
    await pivot.click();
    const refusal = target.locator('.refusal');
    await refusal.waitFor({ timeout: 15_000 });
    expect(await refusal.textContent()).toMatch(/not authorised.*viewer/i);
    expect(await target.locator('.private-reply').count()).toBe(0);

    // Alice is a viewer: the result card appears under the alert card, marked as hers alone.
    await page.selectOption('#user', 'alice');
    await pivot.click();
    const reply = target.locator('.private-reply');
    await reply.waitFor({ timeout: 15_000 });
    const text = (await reply.textContent()) ?? '';
    expect(text).toContain('Only you (alice) can see this');
    expect(text).toMatch(/caller · [0-9a-f-]{36}/);
    expect(text).toContain('~10 minutes behind');
    expect(await cardState()).toEqual(before);
    await reply.getByRole('button', { name: 'Dismiss' }).click();
    expect(await target.locator('.private-reply').count()).toBe(0);
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
