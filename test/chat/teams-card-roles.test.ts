import { afterEach, describe, expect, it } from 'vitest';
import type { AdaptiveCard } from '../../src/chat/chat-surface.js';
import { rolesToActOn } from '../../src/chat/teams/card-roles.js';
import { Directory } from '../../src/config/directory.js';
import { readEnv } from '../../src/config/env.js';
import { parseConfig } from '../../src/config/load.js';
import { renderRotationCard } from '../../src/rotation/rotation-card.js';
import { actor, DEMO_SECRET, DEMO_VAULT, makeHarness } from '../rotation/harness.js';
import {
  ALICE_AAD,
  CHANNEL,
  installActivity,
  invokeActivity,
  postActivity,
  startTeamsHarness,
  type TeamsHarness,
} from './teams-helpers.js';
import { TriageHandler } from './triage-handler.js';

/**
 * Teams user-specific views: the actionable card goes to people holding the role its buttons need for the
 * card's vault — responders for alert cards, that vault's approvers for rotation cards — and everyone
 * else refreshes to the read-only view.
 */
const CAROL_AAD = 'cccccccc-0000-0000-0000-000000000003';
const ERIN_AAD = 'eeeeeeee-0000-0000-0000-000000000005';
const directory = new Directory(
  parseConfig(
    {
      people: {
        alice: { teams: ALICE_AAD },
        carol: { teams: CAROL_AAD },
        erin: { teams: ERIN_AAD },
      },
      roles: { responder: ['alice'], approver: ['carol'] },
      vaults: { 'kv-other': { roles: { approver: ['erin'] } } },
    },
    readEnv({}),
  ),
);

let h: TeamsHarness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

async function rotationCard(): Promise<AdaptiveCard> {
  const rotations = await makeHarness();
  const r = await rotations.service.request(actor.aliceSlack, DEMO_VAULT, DEMO_SECRET, 'views');
  return renderRotationCard(r).card;
}

describe('rolesToActOn', () => {
  it('reads the roles from the verbs, nested Deny included, ignoring refreshes and pivots', async () => {
    expect(rolesToActOn(await rotationCard())).toEqual(['approver']);
    expect(rolesToActOn(new TriageHandler().card('a1').card)).toEqual(['responder']);
    const notice: AdaptiveCard = {
      type: 'AdaptiveCard',
      version: '1.5',
      body: [],
      refresh: { action: { type: 'Action.Execute', verb: 'alert.ack' } },
      actions: [
        { type: 'Action.Execute', verb: 'rotation.request', data: { vault: 'kv-a', secret: 's' } },
        { type: 'Action.Execute', verb: 'query.who', data: {} },
        { type: 'Action.Execute', verb: 'kvw.refresh', data: {} },
      ],
    };
    expect(rolesToActOn(notice)).toEqual(['requester']);
    const readOnly: AdaptiveCard = { type: 'AdaptiveCard', version: '1.5', body: [], actions: [] };
    expect(rolesToActOn(readOnly)).toEqual([]);
  });
});

describe('Teams user-specific views by role and vault', () => {
  it('shows Approve / Deny to the vault’s approvers only, and Acknowledge to responders only', async () => {
    h = await startTeamsHarness(new TriageHandler(), { allowUnauthenticatedLocalDev: true, directory });
    await postActivity(h.base, installActivity(h.connector.serviceUrl));
    const view = async (aad: string, messageId: string) =>
      JSON.stringify(
        (
          await (
            await postActivity(
              h!.base,
              invokeActivity(h!.connector.serviceUrl, {
                aad,
                verb: 'kvw.refresh',
                data: {},
                replyToId: messageId,
              }),
            )
          ).json()
        ).value,
      );

    const rotation = await h.runtime.surface.postCard(CHANNEL, {
      card: await rotationCard(),
      text: 'rotation',
    });
    expect(await view(CAROL_AAD, rotation.messageId)).toContain('rotation.approve');
    expect(await view(CAROL_AAD, rotation.messageId)).toContain('rotation.deny');
    // A responder who is no approver, and an approver of another vault, see no decision buttons.
    expect(await view(ALICE_AAD, rotation.messageId)).not.toContain('rotation.approve');
    expect(await view(ERIN_AAD, rotation.messageId)).not.toContain('rotation.approve');

    const alert = await h.runtime.surface.postCard(CHANNEL, new TriageHandler().card('a1'));
    expect(await view(ALICE_AAD, alert.messageId)).toContain('alert.acknowledge');
    expect(await view(CAROL_AAD, alert.messageId)).not.toContain('alert.acknowledge');
  });
});
