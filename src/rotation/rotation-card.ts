import { renderCard } from '../chat/cards/render-card.js';
import type { CardMessage } from '../chat/chat-surface.js';
import type { RotationRecord, RotationState } from './rotation-record.js';

/**
 * Card verbs (Action.Execute) for rotations. Button data: `{ rotationId, planHash, vault }` (the vault lets
 * Teams show the buttons to that vault's approvers only); deny adds input `reason`.
 */
export const ROTATION_VERBS = {
  approve: 'rotation.approve',
  deny: 'rotation.deny',
  refresh: 'rotation.refresh',
} as const;

const STATUS: Record<RotationState, { label: string; color: string }> = {
  pending: { label: 'Waiting for approval', color: 'Warning' },
  approved: { label: 'Approved — starting', color: 'Accent' },
  regenerating: { label: 'Regenerating the storage key', color: 'Accent' },
  'writing-secret': { label: 'Writing the new secret version', color: 'Accent' },
  verifying: { label: 'Verifying the new secret version', color: 'Accent' },
  done: { label: 'Rotated', color: 'Good' },
  failed: { label: 'Failed', color: 'Attention' },
  denied: { label: 'Denied', color: 'Attention' },
  expired: { label: 'Expired without approval', color: 'Default' },
};

/** The rotation card for the record's current state: a pure function of the document. No values, ever. */
export function renderRotationCard(record: RotationRecord): CardMessage {
  return { card: renderCard('rotation-request', rotationCardData(record)), text: rotationText(record) };
}

/** The view model `cards/rotation-request.json` binds to. */
export function rotationCardData(record: RotationRecord): Record<string, unknown> {
  const { plan, execution } = record;
  const status = STATUS[record.state];
  const approvals = record.approvals.map((a) => `${a.person} (${formatTime(a.at)})`).join(', ');
  const planFacts = [
    { title: 'Vault', value: plan.vault },
    { title: 'Secret', value: plan.secret },
    { title: 'Current version', value: plan.secretVersion },
    { title: 'Storage account', value: plan.storageAccountName },
    { title: 'Current key', value: plan.currentKey },
    {
      title: 'Key to regenerate',
      value: `${plan.keyToRegenerate} (the alternate key; apps keep using ${plan.currentKey} meanwhile)`,
    },
    {
      title: 'New expiry',
      value: `${plan.validityPeriodDays} days after execution (≈ ${formatTime(plan.newExpiresOn)})`,
    },
    { title: 'Requested by', value: `${plan.requester} at ${formatTime(plan.requestedAt)}` },
    { title: 'Reason', value: plan.reason },
    { title: 'Request expires', value: formatTime(plan.expiresAt) },
    {
      title: 'Approvals',
      value: `${record.approvals.length} of ${record.approvalsRequired}${approvals ? `: ${approvals}` : ''}`,
    },
  ];
  if (record.denial) {
    planFacts.push({
      title: 'Denied by',
      value: `${record.denial.person} at ${formatTime(record.denial.at)}${record.denial.reason ? ` — ${record.denial.reason}` : ''}`,
    });
  }
  const resultFacts: Array<{ title: string; value: string }> = [];
  if (execution.newVersion) resultFacts.push({ title: 'New version', value: execution.newVersion });
  if (execution.newExpiresOn)
    resultFacts.push({ title: 'Expires', value: formatTime(execution.newExpiresOn) });
  if (execution.startedAt) resultFacts.push({ title: 'Started', value: formatTime(execution.startedAt) });
  if (execution.finishedAt) {
    resultFacts.push({ title: 'Finished', value: formatTime(execution.finishedAt) });
    if (execution.startedAt) {
      const ms = Date.parse(execution.finishedAt) - Date.parse(execution.startedAt);
      resultFacts.push({ title: 'Took', value: `${(ms / 1000).toFixed(1)} s` });
    }
  }
  return {
    rotationId: record.id,
    planHash: record.planHash,
    vault: plan.vault,
    title: `🔑 Key rotation · ${plan.vault}/${plan.secret}`,
    statusLine: status.label,
    statusColor: status.color,
    planFacts,
    hasResult: resultFacts.length > 0,
    resultFacts,
    hasFailure: record.state === 'failed',
    failure:
      record.state === 'failed'
        ? `Failed at step ${execution.failedStep ?? 'unknown'}: ${execution.error ?? 'no details'}`
        : '',
    hasHistory: record.history.length > 0,
    history: record.history.map((h) => ({
      line: `${formatTime(h.at)} · ${h.actor} · ${h.action}${h.detail ? ` — ${h.detail}` : ''}`,
    })),
    footer: `Rotation ${record.id} · plan ${record.planHash.slice(0, 12)}`,
    canDecide: record.state === 'pending',
  };
}

/** Plain-text fallback and notification text. */
export function rotationText(record: RotationRecord): string {
  const { plan } = record;
  const base = `Rotation ${record.id} of ${plan.vault}/${plan.secret} (regenerate ${plan.keyToRegenerate} of ${plan.storageAccountName}), requested by ${plan.requester}`;
  switch (record.state) {
    case 'pending':
      return `${base}: waiting for ${record.approvalsRequired - record.approvals.length} approval(s).`;
    case 'done':
      return `${base}: done, new version ${record.execution.newVersion ?? '?'}; approved by ${record.approvals.map((a) => a.person).join(', ')}.`;
    case 'failed':
      return `${base}: failed at ${record.execution.failedStep ?? '?'}: ${record.execution.error ?? ''}`;
    case 'denied':
      return `${base}: denied by ${record.denial?.person ?? '?'}.`;
    default:
      return `${base}: ${STATUS[record.state].label.toLowerCase()}.`;
  }
}

function formatTime(iso: string): string {
  return `${iso.slice(0, 16).replace('T', ' ')} UTC`;
}
