import { describe, expect, it } from 'vitest';
import { alertsCommand, helpCommand } from '../../src/alerts/commands.js';
import { CommandRouter } from '../../src/chat/command-router.js';
import { buildDetection } from './builders.js';
import { ALICE, CAROL, harness, STRANGER } from './harness.js';

async function setup() {
  const h = harness();
  await h.service.record([
    buildDetection({ vault: 'kv-prod-payments', principal: 'p1' }),
    buildDetection({ vault: 'kv-dev', principal: 'p2', rule: 'new-principal', severity: 'low' }),
  ]);
  const router = new CommandRouter();
  router.register(helpCommand(() => router.list()));
  router.register(alertsCommand({ service: h.service, directory: h.directory }));
  const run = (actor: typeof ALICE, text: string) => {
    const { spec, args, rest } = router.parse(text);
    return spec.run({ actor, args, rest });
  };
  return { ...h, router, run };
}

const rowsOf = (card: unknown) =>
  ((card as { body: Array<{ type: string; rows?: unknown[] }> }).body.find((b) => b.type === 'Table')?.rows
    ?.length ?? 1) - 1;

describe('/kv alerts and /kv help', () => {
  it('lists every open alert for a viewer, as an ephemeral summary card', async () => {
    const { run } = await setup();
    const reply = await run(CAROL, '/kv alerts');
    expect(reply.ephemeral).toBe(true);
    expect(rowsOf(reply.card?.card)).toBe(2);
  });

  it('filters by vault and validates the vault name', async () => {
    const { run } = await setup();
    expect(rowsOf((await run(ALICE, '/kv alerts kv-dev')).card?.card)).toBe(1);
    await expect(run(ALICE, '/kv alerts bad_name!')).rejects.toThrow(/not a Key Vault name/);
  });

  it('refuses unknown chat users', async () => {
    const { run } = await setup();
    await expect(run(STRANGER, '/kv alerts')).rejects.toThrow(/not mapped/);
  });

  it('help lists every registered command, in registration order, and is public', async () => {
    const { run, router } = await setup();
    const reply = await run(STRANGER, '/kv help');
    expect(router.get('help')?.public).toBe(true);
    expect(reply.card?.text).toBe(
      'kv-warden commands:\n/kv help — Show the commands\n/kv alerts [vault] — List open and acknowledged alerts, most severe first',
    );
  });
});
