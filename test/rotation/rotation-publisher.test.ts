import { describe, expect, it } from 'vitest';
import type { CardMessage, SurfaceName } from '../../src/chat/chat-surface.js';
import { readEnv } from '../../src/config/env.js';
import { parseConfig } from '../../src/config/load.js';
import { rotationCardPublisher } from '../../src/rotation/rotation-publisher.js';
import { RotationService } from '../../src/rotation/rotation-service.js';
import { actor, DEMO_SECRET, DEMO_VAULT, makeHarness } from './harness.js';

/** Records what would be delivered, with the outbox's rules: a card version only moves forward; texts once per key. */
class RecordingOutbox {
  cards = new Map<string, { version: number; message: CardMessage; posts: number }>();
  texts = new Map<string, string>();
  constructor(private readonly names: SurfaceName[]) {}
  surfaceNames() {
    return this.names;
  }
  async publishCard(
    subject: string,
    route: { surface: SurfaceName; channel: string },
    message: CardMessage,
    version: number,
  ) {
    const key = `${subject}|${route.surface}|${route.channel}`;
    const cur = this.cards.get(key);
    if (cur && cur.version >= version) return;
    this.cards.set(key, { version, message, posts: (cur?.posts ?? 0) + (cur ? 0 : 1) });
  }
  async enqueueText(
    subject: string,
    route: { surface: SurfaceName; channel: string },
    text: string,
    key: string,
  ) {
    const id = `${subject}|${route.surface}|${route.channel}|${key}`;
    if (!this.texts.has(id)) this.texts.set(id, text);
  }
}

describe('rotationCardPublisher', () => {
  it('keeps one card per surface up to date and announces each decision and the outcome once', async () => {
    const h = await makeHarness({ approvalsRequired: 2 });
    const outbox = new RecordingOutbox(['console', 'slack', 'teams']);
    const config = parseConfig({ rotation: { channel: { slack: 'CROTATE' } } }, readEnv({}));
    const publish = rotationCardPublisher({ outbox, config });
    const service = new RotationService({
      store: h.store,
      vault: h.ports,
      rotator: h.ports,
      directory: h.directory,
      clock: h.clock,
      config: { requestTtlMs: 3_600_000, approvalsRequired: 2 },
      onChange: publish,
    });
    const r = await service.request(actor.aliceSlack, DEMO_VAULT, DEMO_SECRET, 'x');
    await service.approve(actor.carol, r.id, r.planHash);
    await (await service.approve(actor.dave, r.id, r.planHash)).execution;

    // Teams has no channel configured anywhere: nothing goes there.
    expect([...outbox.cards.keys()].sort()).toEqual([`${r.id}|console|security`, `${r.id}|slack|CROTATE`]);
    const slack = outbox.cards.get(`${r.id}|slack|CROTATE`);
    expect(slack?.posts).toBe(1);
    expect(JSON.stringify(slack?.message.card)).toContain('Rotated');
    const slackTexts = [...outbox.texts.entries()].filter(([k]) => k.includes('|slack|')).map(([, t]) => t);
    expect(slackTexts).toHaveLength(3);
    expect(slackTexts[0]).toMatch(/^carol approved rotation .* \(1 of 2\)/);
    expect(slackTexts[1]).toMatch(/^dave approved rotation .* \(2 of 2\)/);
    expect(slackTexts[2]).toMatch(/done, new version/);
  });
});
