import type { Outbox } from '../alerts/outbox.js';
import type { SurfaceName } from '../chat/chat-surface.js';
import type { Config } from '../config/load.js';
import { renderRotationCard, rotationText } from './rotation-card.js';
import { rotationChannel } from './rotation-chat.js';
import type { RotationRecord, RotationState } from './rotation-record.js';
import type { RotationListener } from './rotation-repo.js';

/** The console's channel when nothing is configured (the same default as alerts). */
const CONSOLE_DEFAULT_CHANNEL = 'security';

/** States announced with a text besides the card update, so the requester and the approvers are told. */
const ANNOUNCED: ReadonlySet<RotationState> = new Set(['approved', 'denied', 'expired', 'done', 'failed']);

/**
 * A RotationService `onChange` listener that shows each rotation as one card per surface (posted once, then
 * edited in place; the record's `revision` orders updates) in the rotation channel, and announces every
 * decision and outcome once as a text in the same channel. Goes through the outbox, so chat outages delay
 * but never lose or duplicate it.
 */
export function rotationCardPublisher(deps: {
  readonly outbox: Pick<Outbox, 'publishCard' | 'enqueueText' | 'surfaceNames'>;
  readonly config: Pick<Config, 'rotation' | 'vaults' | 'chat'>;
}): RotationListener {
  return async (record: RotationRecord) => {
    const message = renderRotationCard(record);
    for (const surface of deps.outbox.surfaceNames()) {
      const channel = channelFor(deps.config, surface, record.plan.vault);
      if (channel === undefined) continue;
      const route = { surface, channel };
      await deps.outbox.publishCard(record.id, route, message, record.revision ?? 1);
      const key = announcementKey(record);
      if (key) await deps.outbox.enqueueText(record.id, route, announcement(record), key);
    }
  };
}

function channelFor(
  config: Pick<Config, 'rotation' | 'vaults' | 'chat'>,
  surface: SurfaceName,
  vault: string,
) {
  return (
    rotationChannel(config, surface, vault) ?? (surface === 'console' ? CONSOLE_DEFAULT_CHANNEL : undefined)
  );
}

/** One announcement per decision: each approval (pending with more needed) and each announced state. */
function announcementKey(record: RotationRecord): string | undefined {
  if (record.state === 'pending' && record.approvals.length > 0) return `approval-${record.approvals.length}`;
  if (record.state === 'approved' && record.execution.attempt > 0) return undefined; // the executor's claim
  return ANNOUNCED.has(record.state) ? `state-${record.state}` : undefined;
}

function announcement(record: RotationRecord): string {
  const last = record.history[record.history.length - 1];
  if (record.state === 'pending' || record.state === 'approved') {
    return `${last?.actor ?? 'someone'} approved rotation ${record.id} (${record.approvals.length} of ${record.approvalsRequired}) — requested by ${record.plan.requester}.`;
  }
  return rotationText(record);
}
