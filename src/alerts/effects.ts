import type { SurfaceName } from '../chat/chat-surface.js';
import type { Config } from '../config/load.js';
import type { Alert } from './alert.js';
import type { TransitionRequest } from './lifecycle.js';
import type { Outbox } from './outbox.js';
import { pagerDutyEvent } from './pagerduty.js';
import { escalationRoutes, routeAlert } from './routing.js';

/**
 * What a transition sends besides the card update, queued in the outbox after the alert is saved:
 *  - escalate: a text with the configured mention to the escalation channel of every surface (the
 *    alert's own channel where none is configured) and a PagerDuty `trigger`;
 *  - acknowledge of an escalated alert: PagerDuty `acknowledge`;
 *  - close of an escalated alert: PagerDuty `resolve`.
 * Keys include the alert version, so a retried enqueue of the same transition sends nothing new.
 */
export async function publishTransitionEffects(
  deps: {
    outbox: Outbox;
    config: Pick<Config, 'escalation' | 'vaults' | 'chat'>;
    surfaces: readonly SurfaceName[];
  },
  before: Alert,
  after: Alert,
  req: TransitionRequest,
): Promise<void> {
  const { outbox, config, surfaces } = deps;
  const paging = config.escalation.pagerduty !== undefined;
  switch (req.action) {
    case 'escalate': {
      const text = escalationText(after, req.actor.displayName, config.escalation.mention);
      for (const route of escalationTargets(config, surfaces, after)) {
        await outbox.enqueueText(after.id, route, text, `escalate-${after.version}`);
      }
      if (paging)
        await outbox.enqueuePagerDuty(after.id, pagerDutyEvent(after, 'trigger'), `trigger-${after.version}`);
      return;
    }
    case 'acknowledge':
      if (paging && after.escalated) {
        await outbox.enqueuePagerDuty(
          after.id,
          pagerDutyEvent(after, 'acknowledge'),
          `acknowledge-${after.version}`,
        );
      }
      return;
    case 'close':
      if (paging && before.escalated) {
        await outbox.enqueuePagerDuty(after.id, pagerDutyEvent(after, 'resolve'), `resolve-${after.version}`);
      }
      return;
    case 'reopen':
      return;
  }
}

/** The escalation message: mention first so chat services notify. Never contains secret values. */
export function escalationText(alert: Alert, by: string, mention: string | undefined): string {
  const lead = mention ? `${mention} ` : '';
  return `${lead}🚨 Escalated by ${by}: [${alert.severity}] ${alert.rule} on ${alert.vault} — ${alert.summary} (alert ${alert.id}, ×${alert.count})`;
}

function escalationTargets(
  config: Pick<Config, 'escalation' | 'vaults' | 'chat'>,
  surfaces: readonly SurfaceName[],
  alert: Alert,
) {
  const configured = escalationRoutes(config, surfaces);
  const covered = new Set(configured.map((r) => r.surface));
  // Where no escalation channel is set, the alert's own channel gets the mention (ignoring minSeverity:
  // an escalation must be seen).
  const fallback = routeAlert(config, surfaces, alert, { ignoreMinSeverity: true }).filter(
    (r) => !covered.has(r.surface),
  );
  return [...configured, ...fallback];
}
