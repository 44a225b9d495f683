import type {
  ActionOutcome,
  ChatActor,
  CommandReply,
  InboundAction,
  SurfaceName,
} from '../chat/chat-surface.js';
import type { CommandRouter } from '../chat/command-router.js';
import type { Config } from '../config/load.js';
import { UsageError, userMessageFor } from '../errors.js';
import { ROTATION_VERBS, renderRotationCard, rotationText } from './rotation-card.js';
import type { RotationRecord } from './rotation-record.js';
import type { RotationService } from './rotation-service.js';

/** Verb of the "Request rotation" button on SecretNearExpiry cards; data `{ vault, secret }`. */
export const REQUEST_ROTATION_VERB = 'rotation.request';

const ROTATION_ID = /^rot-[a-z0-9-]{1,60}$/;

/**
 * Card clicks on rotation cards: Approve, Deny (input `reason`), Refresh, and "Request rotation".
 * Refusals change nothing and come back as a notice with the current card. `onExecution` receives the
 * execution started by the approval that completed the quorum (log its outcome; cards update via onChange).
 */
export async function handleRotationAction(
  service: RotationService,
  actor: ChatActor,
  action: InboundAction,
  onExecution: (execution: Promise<RotationRecord>) => void = (p) => void p.catch(() => undefined),
): Promise<ActionOutcome> {
  if (action.verb === REQUEST_ROTATION_VERB) {
    const vault = String(action.data.vault ?? '');
    const secret = String(action.data.secret ?? '');
    try {
      const r = await service.request(actor, vault, secret, 'requested from a SecretNearExpiry notice');
      return {
        card: renderRotationCard(r),
        notice: `Rotation ${r.id} requested; an approver must approve it.`,
      };
    } catch (err) {
      return { notice: userMessageFor(err) };
    }
  }
  const id = typeof action.data.rotationId === 'string' ? action.data.rotationId : '';
  if (!ROTATION_ID.test(id))
    return { notice: 'This card does not name a valid rotation. Nothing was changed.' };
  const current = await service.get(id);
  if (!current) return { notice: `Rotation ${id} does not exist. Nothing was changed.` };
  const hash = typeof action.data.planHash === 'string' ? action.data.planHash : '';
  try {
    switch (action.verb) {
      case ROTATION_VERBS.refresh:
        return { card: renderRotationCard(current) };
      case ROTATION_VERBS.approve: {
        const { rotation, execution } = await service.approve(actor, id, hash);
        if (execution) onExecution(execution);
        return { card: renderRotationCard(rotation) };
      }
      case ROTATION_VERBS.deny: {
        const reason = action.inputs?.reason;
        return { card: renderRotationCard(await service.deny(actor, id, hash, reason)) };
      }
      default:
        return {
          card: renderRotationCard(current),
          notice: `Unknown rotation action "${action.verb.slice(0, 40)}".`,
        };
    }
  } catch (err) {
    const now = (await service.get(id)) ?? current;
    return { card: renderRotationCard(now), notice: userMessageFor(err) };
  }
}

/** Registers `/kv rotate <vault> <secret> <reason…>` and `/kv rotations`. */
export function registerRotationCommands(router: CommandRouter, service: RotationService): void {
  router.register({
    name: 'rotate',
    usage: 'rotate <vault> <secret> <reason…>',
    summary: 'Request a two-person approved rotation of a storage key held in a secret',
    async run({ actor, args }): Promise<CommandReply> {
      const [vault, secret, ...reason] = args;
      if (!vault || !secret || reason.length === 0) {
        throw new UsageError('Usage: `/kv rotate <vault> <secret> <reason…>`');
      }
      const r = await service.request(actor, vault, secret, reason.join(' '));
      return {
        text: `Rotation ${r.id} requested: regenerate ${r.plan.keyToRegenerate} of ${r.plan.storageAccountName} and write it to ${r.plan.vault}/${r.plan.secret}. It needs ${r.approvalsRequired} approval(s) by another approver before ${r.plan.expiresAt}.`,
        card: renderRotationCard(r),
      };
    },
  });
  router.register({
    name: 'rotations',
    usage: 'rotations',
    summary: 'List pending and recent rotations',
    async run({ actor }): Promise<CommandReply> {
      const all = await service.listVisibleTo(actor, { limit: 20 });
      if (all.length === 0) return { text: 'No rotations yet.' };
      const open = all.filter(
        (r) =>
          r.state === 'pending' ||
          r.state === 'approved' ||
          r.state === 'regenerating' ||
          r.state === 'writing-secret' ||
          r.state === 'verifying',
      );
      const lines = all.map(
        (r) =>
          `• ${r.plan.requestedAt.slice(0, 16).replace('T', ' ')} ${r.state.padEnd(14)} ${rotationText(r)}`,
      );
      return {
        text: `${open.length} open, ${all.length - open.length} finished (newest first):\n${lines.join('\n')}`,
      };
    },
  });
}

/** Where rotation cards go on a surface: `rotation.channel`, else the vault's channel, else the default channel. */
export function rotationChannel(
  config: Pick<Config, 'rotation' | 'vaults' | 'chat'>,
  surface: SurfaceName,
  vault: string,
): string | undefined {
  return (
    config.rotation.channel?.[surface] ??
    config.vaults[vault.toLowerCase()]?.channel?.[surface] ??
    config.chat.default?.[surface]
  );
}
