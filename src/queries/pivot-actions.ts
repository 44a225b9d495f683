/** What an alert card knows about its entities (a subset of the Alert document). */
export interface PivotSubject {
  readonly vault: string;
  readonly principal: string;
  readonly principalUpn?: string;
  readonly ip?: string;
}

export const QUERY_RUN_VERB = 'query.run';
/** The period pivot buttons look back over. */
export const PIVOT_SINCE = '7d';

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const IP = /^[0-9a-f.:]{2,39}$/i;

/**
 * Action.Execute buttons for an alert card: this caller's activity (the `caller` query across vaults)
 * and this IP's history (`who` on the alert's vault, narrowed to the IP). Data is re-validated when
 * clicked; a button is left out when the alert has no usable entity (e.g. the principal is an IP).
 */
export function pivotActions(alert: PivotSubject): Record<string, unknown>[] {
  const actions: Record<string, unknown>[] = [];
  const caller = GUID.test(alert.principal) ? alert.principal : alert.principalUpn;
  if (caller)
    actions.push({
      type: 'Action.Execute',
      title: "This caller's activity",
      verb: QUERY_RUN_VERB,
      data: { name: 'caller', caller, since: PIVOT_SINCE },
    });
  if (alert.ip && IP.test(alert.ip))
    actions.push({
      type: 'Action.Execute',
      title: "This IP's history",
      verb: QUERY_RUN_VERB,
      data: { name: 'who', vault: alert.vault, ip: alert.ip, since: PIVOT_SINCE },
    });
  return actions;
}
