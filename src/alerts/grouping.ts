import { createHash } from 'node:crypto';
import type { Detection } from '../detect/detection.js';
import { belongsToGroup } from '../detect/group.js';
import { severityRank } from '../detect/rule-ids.js';
import { type Alert, DETECTION_IDS_CAP, EVENT_KEYS_CAP, SYSTEM_ACTOR } from './alert.js';
import { transition } from './lifecycle.js';

/**
 * Pure grouping helpers: a detection either starts an alert or joins the alert of its fingerprint
 * (the shared rule from src/detect/group.ts: `timeMs − firstSeenMs < window`).
 */

export { belongsToGroup };

/** Identity of one detection (rule, who, when, which events), so recording it twice is a no-op. */
export function detectionIdOf(d: Detection): string {
  const keys = [...d.eventKeys].sort().join(',');
  return sha(`${d.rule}|${d.vault}|${d.principal.toLowerCase()}|${d.timeMs}|${keys}`).slice(0, 20);
}

/** A stable, short alert id: the same first detection always yields the same id (replicas, retries). */
export function alertIdFor(fingerprint: string, d: Detection): string {
  return `A-${sha(`${fingerprint}|${d.timeMs}|${detectionIdOf(d)}`)
    .slice(0, 10)
    .toUpperCase()}`;
}

/** A new open alert from its first detection. */
export function newAlert(id: string, fingerprint: string, d: Detection, nowMs: number): Alert {
  return {
    id,
    fingerprint,
    rule: d.rule,
    severity: d.severity,
    vault: d.vault.toLowerCase(),
    principal: d.principal,
    ...(d.principalUpn !== undefined && { principalUpn: d.principalUpn }),
    ...(d.appId !== undefined && { appId: d.appId }),
    ...(d.ip !== undefined && { ip: d.ip }),
    summary: d.summary,
    firstSeen: d.time,
    firstSeenMs: d.timeMs,
    lastSeen: d.time,
    lastSeenMs: d.timeMs,
    count: 1,
    eventKeys: uniqueTail([], d.eventKeys),
    eventKeyTotal: new Set(d.eventKeys).size,
    detectionIds: [detectionIdOf(d)],
    evidence: { ...d.evidence },
    state: 'open',
    escalated: false,
    openedAtMs: nowMs,
    history: [
      { action: 'open', person: SYSTEM_ACTOR, displayName: 'kv-warden', at: new Date(nowMs).toISOString() },
    ],
    version: 1,
  };
}

/**
 * The alert with one more detection: count, first/last seen, event keys, severity (the highest),
 * evidence of the latest detection. A closed alert that fires again is reopened by the system.
 */
export function mergeDetection(
  alert: Alert,
  d: Detection,
  nowMs: number,
): { alert: Alert; reopened: boolean } {
  let base = alert;
  let reopened = false;
  if (alert.state === 'closed') {
    const result = transition(alert, {
      action: 'reopen',
      actor: { kind: 'system', name: SYSTEM_ACTOR, displayName: 'kv-warden' },
      at: new Date(nowMs).toISOString(),
      atMs: nowMs,
      comment: 'the same activity was detected again after the alert was closed',
    });
    if (result.ok) {
      base = result.alert;
      reopened = true;
    }
  }
  const newKeys = d.eventKeys.filter((k) => !alert.eventKeys.includes(k));
  const latest = d.timeMs >= alert.lastSeenMs;
  const merged: Alert = {
    ...base,
    severity: severityRank(d.severity) > severityRank(alert.severity) ? d.severity : alert.severity,
    principalUpn: alert.principalUpn ?? d.principalUpn,
    appId: alert.appId ?? d.appId,
    ip: alert.ip ?? d.ip,
    firstSeen: d.timeMs < alert.firstSeenMs ? d.time : alert.firstSeen,
    firstSeenMs: Math.min(alert.firstSeenMs, d.timeMs),
    lastSeen: latest ? d.time : alert.lastSeen,
    lastSeenMs: Math.max(alert.lastSeenMs, d.timeMs),
    count: alert.count + 1,
    eventKeys: uniqueTail(alert.eventKeys, d.eventKeys),
    eventKeyTotal: alert.eventKeyTotal + new Set(newKeys).size,
    detectionIds: [...alert.detectionIds, detectionIdOf(d)].slice(-DETECTION_IDS_CAP),
    evidence: latest ? { ...d.evidence } : alert.evidence,
    version: base.version + (reopened ? 0 : 1),
  };
  return { alert: dropUndefined(merged), reopened };
}

function uniqueTail(existing: readonly string[], added: readonly string[]): string[] {
  const out = [...existing];
  for (const k of added) if (!out.includes(k)) out.push(k);
  return out.slice(-EVENT_KEYS_CAP);
}

function dropUndefined(a: Alert): Alert {
  const copy: Record<string, unknown> = { ...a };
  for (const k of ['principalUpn', 'appId', 'ip']) if (copy[k] === undefined) delete copy[k];
  return copy as unknown as Alert;
}

function sha(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}
