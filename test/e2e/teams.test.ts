import type { ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Fastify, { type FastifyInstance } from 'fastify';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AlertService } from '../../src/alerts/alert-service.js';
import { alertsCommand, helpCommand } from '../../src/alerts/commands.js';
import { Outbox } from '../../src/alerts/outbox.js';
import { CARDS, cardKey, type PostedCard } from '../../src/alerts/outbox-item.js';
import { AppChatHandler } from '../../src/app/app-chat-handler.js';
import type { ChatHandler } from '../../src/chat/chat-surface.js';
import { CommandRouter } from '../../src/chat/command-router.js';
import { CONVERSATIONS, type ConversationRef } from '../../src/chat/teams/conversation-refs.js';
import { registerTeamsRoutes, type TeamsRuntime } from '../../src/chat/teams/teams-routes.js';
import { Directory } from '../../src/config/directory.js';
import { loadConfig } from '../../src/config/load.js';
import { MemoryStore } from '../../src/store/memory-store.js';
import { systemClock } from '../../src/util/clock.js';
import { silentLogger } from '../../src/util/logger.js';
import { buildDetection } from '../alerts/builders.js';
import { freePort, launchChromium } from './browser-harness.js';
import { startPlayground } from './teams-playground-harness.js';

/**
 * Teams end-to-end smoke test: Microsoft 365 Agents Playground (a Teams-like web client, offline)
 * in headless Chromium talks to kv-warden's Teams routes over loopback, with the real alert
 * workflow behind them.
 */
/** The Playground's default signed-in user (Alex Wilber); its object id is not a strict GUID. */
const PLAYGROUND_USER = '00000000-0000-0000-0000-0000000000020';

let server: FastifyInstance;
let bot: string;
let teams: TeamsRuntime;
let playground: { child: ChildProcess; url: string; output: () => string };
let browser: BrowserContext;
let page: Page;
let profile: string;
const store = new MemoryStore();
const config = loadConfig({ env: {}, text: 'teams: { allowUnauthenticatedLocalDev: true }\n' });
// Built directly: the Playground's user id would not pass the config schema's GUID check.
const directory = new Directory({
  people: { alex: { teams: PLAYGROUND_USER, displayName: 'Alex Wilber' } },
  roles: { viewer: ['alex'], responder: ['alex'], requester: [], approver: [] },
  vaults: {},
});
let inner: ChatHandler | undefined;
const handler: ChatHandler = {
  handleAction: (a, b) => inner!.handleAction(a, b),
  handleCommand: (a, b) => inner!.handleCommand(a, b),
};

beforeAll(async () => {
  server = Fastify({ logger: false });
  teams = registerTeamsRoutes(server, {
    config,
    handler,
    store,
    directory,
    logger: silentLogger,
    clock: systemClock,
  });
  bot = await server.listen({ host: '127.0.0.1', port: 0 });
  playground = await startPlayground(`${bot}/api/messages`, await freePort());
  profile = await mkdtemp(path.join(tmpdir(), 'kvw-chromium-'));
  browser = await launchChromium(profile);
  page = await browser.newPage();
});

afterAll(async () => {
  await browser?.close();
  playground?.child.kill();
  await server?.close();
  if (profile) await rm(profile, { recursive: true, force: true });
});

describe('Teams through Microsoft 365 Agents Playground', () => {
  it('answers a personal-chat command, shows a proactive alert card read-only, and edits it in place after Acknowledge', async () => {
    const router = new CommandRouter();
    inner = new AppChatHandler(router, directory, silentLogger);
    router.register(helpCommand(() => router.list()));

    await page.goto(playground.url);
    // Opening the Playground installs the app: the bot records the conversation for routing.
    await page.getByText('conversationUpdate 200').first().waitFor({ timeout: 60_000 });
    const personal = async () =>
      (await store.list<ConversationRef>(CONVERSATIONS)).find((c) => c.value.conversationType === 'personal');
    await expect.poll(personal, { timeout: 10_000 }).toBeTruthy();

    const compose = page.locator('[data-lexical-editor=true]');
    await compose.click();
    await compose.pressSequentially('help');
    await page.keyboard.press('Enter');
    await page.getByText('kv-warden commands').first().waitFor({ timeout: 30_000 });

    // A detection becomes an alert whose card the outbox posts proactively into that chat.
    const ref = (await personal())!.value;
    const alertConfig = loadConfig({
      env: {},
      text: `chat: { default: { teams: "${ref.conversationId}" } }\nteams: { allowUnauthenticatedLocalDev: true }\n`,
    });
    const outbox = new Outbox({ store, clock: systemClock, surfaces: [teams.surface] });
    const alerts = new AlertService({ store, clock: systemClock, config: alertConfig, directory, outbox });
    router.register(alertsCommand({ service: alerts, directory }));
    (inner as AppChatHandler).registerActions('alert', (a, b) => alerts.act(a, b));
    const [recorded] = await alerts.record([buildDetection()]);
    await outbox.drain();
    await page.getByText('purged secret stripe-api-key').first().waitFor({ timeout: 30_000 });
    // Everyone sees the read-only card (the Playground does not do user-specific views, so Alex's
    // client never asks for the actionable refresh); the button click a refreshing Teams client
    // would send is an Action.Execute invoke on that message.
    expect(await page.getByText('Acknowledge', { exact: true }).count()).toBe(0);
    const posted = await store.get<PostedCard>(CARDS, cardKey(recorded!.alert.id, 'teams'));
    expect(posted).toBeTruthy();
    const invoke = {
      type: 'invoke',
      name: 'adaptiveCard/action',
      id: 'invoke-1',
      channelId: 'msteams',
      serviceUrl: ref.serviceUrl,
      from: { id: '29:alex', aadObjectId: PLAYGROUND_USER, name: 'Alex Wilber' },
      recipient: { id: ref.botId ?? '28:bot', name: 'kv-warden' },
      conversation: { id: ref.conversationId, conversationType: 'personal' },
      replyToId: posted!.value.messageId,
      value: { action: { type: 'Action.Execute', verb: 'alert.ack', data: { alertId: recorded!.alert.id } } },
    };
    const res = await fetch(`${bot}/api/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(invoke),
    });
    expect(await res.json()).toMatchObject({
      statusCode: 200,
      type: 'application/vnd.microsoft.card.adaptive',
    });
    // The card in the Playground is edited in place (no second card), showing the new state.
    await page
      .getByText(/Alex Wilber acknowledged this/)
      .first()
      .waitFor({ timeout: 30_000 });
    expect(await page.getByText('purged secret stripe-api-key').count()).toBe(1);
    await page.screenshot({ path: path.join(tmpdir(), 'kvw-teams-playground.png') });
  });
});
