import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { AppFeature } from '../../src/app/features.js';
import { type App, createApp } from '../../src/app.js';
import type { AuditItem } from '../../src/audit/audit-event.js';
import type { CardMessage } from '../../src/chat/chat-surface.js';
import { loadConfig } from '../../src/config/load.js';
import { FakeClock } from '../../src/util/clock.js';
import { silentLogger } from '../../src/util/logger.js';
import { auditEvent, BOB, MINUTE, T0 } from '../fixtures/events.js';

/**
 * Pivot buttons through the whole composition root and the console's HTTP routes: a purge becomes an
 * alert card on the console, a viewer's click on "This caller's activity" is answered to that page
 * alone with the result card, a person without the viewer role is refused, and the card everyone sees
 * never changes.
 */
let dir: string;
let app: App | undefined;
beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'kvw-console-pivots-'));
});
afterEach(async () => {
  await app?.stop();
  app = undefined;
  await rm(dir, { recursive: true, force: true });
});

async function start(features?: readonly AppFeature[]): Promise<App> {
  const config = loadConfig({
    text: [
      `store: { duckdb: ${JSON.stringify(path.join(dir, 'kv.duckdb'))} }`,
      'server: { port: 0 }',
      'detection: { lateness: 1m }',
      'people: { alice: { displayName: Alice }, mallory: { displayName: Mallory } }',
      'roles: { viewer: [alice], responder: [alice] }',
    ].join('\n'),
    env: {},
  });
  app = await createApp(config, {
    clock: new FakeClock(T0 + 10 * MINUTE),
    logger: silentLogger,
    cwd: dir,
    consoleToken: 'tok',
    idleMs: 0,
    ...(features ? { features } : {}),
  });
  await app.start();
  const items: AuditItem[] = [
    {
      kind: 'audit',
      event: auditEvent({ operation: 'SecretDelete', at: T0 - MINUTE, secret: 'stripe-api-key' }),
    },
    {
      kind: 'audit',
      event: auditEvent({ operation: 'SecretPurge', status: 204, at: T0, secret: 'stripe-api-key' }),
    },
    { kind: 'audit', event: auditEvent({ operation: 'SecretGet', at: T0 + 5 * MINUTE }) },
  ];
  await app.context.pipeline.ingest(items, { source: 'folder:x' });
  await app.context.outbox.drain();
  return app;
}

type Button = { type: string; title: string; verb?: string; data?: Record<string, unknown> };

interface ActionAnswer {
  notice: string | null;
  card: CardMessage | null;
  reply: CardMessage | null;
}

async function click(a: App, user: string, button: Button): Promise<ActionAnswer> {
  const res = await fetch(`${a.url}/console/action`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', cookie: 'kvw_console=tok' },
    body: JSON.stringify({ user, verb: button.verb, data: button.data }),
  });
  expect(res.status).toBe(200);
  return (await res.json()) as ActionAnswer;
}

describe('alert pivot buttons on the console', () => {
  it("a viewer gets This caller's activity with rows on their page; a non-viewer is refused; the card is unchanged", async () => {
    const a = await start();
    const [message] = a.console!.list();
    expect(message?.kind).toBe('card');
    const buttons = (message!.card!.actions ?? []) as Button[];
    const caller = buttons.find((b) => b.title === "This caller's activity");
    const ip = buttons.find((b) => b.title === "This IP's history");
    expect(caller).toMatchObject({ verb: 'query.run', data: { name: 'caller', caller: BOB.oid } });
    expect(ip).toMatchObject({ verb: 'query.run', data: { name: 'who', ip: BOB.ip } });
    const before = JSON.stringify(a.console!.list());

    const answer = await click(a, 'alice', caller!);
    expect(answer.notice).toBeNull();
    expect(answer.card).toBeNull();
    const result = JSON.stringify(answer.reply?.card);
    expect(result).toContain(`caller · ${BOB.oid}`);
    expect(result).toContain('SecretPurge');
    expect(result).toContain('SecretDelete');
    expect(result).toContain('local history (embedded)');
    expect(answer.reply?.text).toMatch(/kv-prod-payments \| SecretPurge \| 204 \| 1/);

    const byIp = await click(a, 'alice', ip!);
    expect(JSON.stringify(byIp.reply?.card)).toContain(BOB.upn);

    const refused = await click(a, 'mallory', caller!);
    expect(refused.reply).toBeNull();
    expect(refused.card).toBeNull();
    expect(refused.notice).toMatch(/not authorised/i);
    expect(refused.notice).toMatch(/viewer/);

    const unmapped = await click(a, 'nobody', caller!);
    expect(unmapped.reply).toBeNull();
    expect(unmapped.notice).toMatch(/not authorised|not mapped/i);

    // Answers went to the clicking page only: nothing was posted or edited on the console.
    await a.context.outbox.drain();
    expect(JSON.stringify(a.console!.list())).toBe(before);
  });

  it('alert cards have no pivot buttons when the queries feature is not running', async () => {
    const a = await start([]);
    const [message] = a.console!.list();
    expect(JSON.stringify(message?.card)).toContain('destructive-operation');
    expect(JSON.stringify(message?.card)).not.toContain('query.run');
  });
});
