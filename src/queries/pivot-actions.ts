import { parseIp, parsePrincipal } from './params.js';

/** What an alert card knows about its entities (a subset of the Alert document). */
export interface PivotSubject {
  readonly vault: string;
  readonly principal: string;
  readonly principalUpn?: string;
  readonly ip?: string;
}

/** The entities an alert's pivot buttons query for; a missing one means no button for it. */
export interface PivotTargets {
  /** Object id or app id (the alert's principal when it is a GUID), else the UPN. */
  readonly caller?: string;
  /** The caller IP of the alert's detection. */
  readonly ip?: string;
}

export const QUERY_RUN_VERB = 'query.run';
/** The period pivot buttons look back over. */
export const PIVOT_SINCE = '7d';

/**
 * The entities behind an alert's pivot buttons (cards/alert.json): "This caller's activity" runs the
 * `caller` query across vaults, "This IP's history" runs `who` on the alert's vault narrowed to the IP.
 * Only values the query parameters accept get a button (an alert whose principal is an IP has no caller
 * button); the button data is validated again when it comes back on a click.
 */
export function pivotTargets(alert: PivotSubject): PivotTargets {
  const caller = accepted(() => parsePrincipal(alert.principal)) ?? accepted(() => upnOf(alert));
  const ip = alert.ip === undefined ? undefined : accepted(() => parseIp(alert.ip as string));
  return { ...(caller ? { caller } : {}), ...(ip ? { ip } : {}) };
}

function upnOf(alert: PivotSubject): string | undefined {
  return alert.principalUpn ? parsePrincipal(alert.principalUpn) : undefined;
}

function accepted(parse: () => string | undefined): string | undefined {
  try {
    return parse();
  } catch {
    return undefined;
  }
}
