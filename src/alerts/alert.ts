import type { RuleId, Severity } from '../detect/rule-ids.js';

/** Store collections: alert documents, and fingerprint → id of the alert currently grouping it. */
export const ALERTS = 'alerts';
export const FINGERPRINTS = 'fingerprints';

/**
 * The alert document (collection `alerts`). One alert per fingerprint and grouping window; its
 * card is re-rendered whole from this document on every change. `version` is our own counter,
 * bumped on every change, so card updates can be ordered and coalesced independently of the
 * store's opaque CAS version.
 */
export interface Alert {
  readonly id: string;
  /** rule + vault + principal (`fingerprintOf`). */
  readonly fingerprint: string;
  readonly rule: RuleId;
  /** The highest severity of the detections grouped into it. */
  readonly severity: Severity;
  readonly vault: string;
  readonly principal: string;
  readonly principalUpn?: string;
  readonly appId?: string;
  readonly ip?: string;
  readonly summary: string;
  /** Event time of the first / last grouped detection (ISO and ms). */
  readonly firstSeen: string;
  readonly firstSeenMs: number;
  readonly lastSeen: string;
  readonly lastSeenMs: number;
  /** Detections grouped into this alert. */
  readonly count: number;
  /** The most recent event keys (at most EVENT_KEYS_CAP); `eventKeyTotal` counts all of them. */
  readonly eventKeys: readonly string[];
  readonly eventKeyTotal: number;
  /** Ids of recently grouped detections (capped), so recording the same detection twice is a no-op. */
  readonly detectionIds: readonly string[];
  readonly evidence: Readonly<Record<string, string | number | boolean>>;
  /** Notices from another channel confirming what the alert saw (e.g. Event Grid), by notice id; capped. */
  readonly corroborations?: readonly Corroboration[];
  readonly state: AlertState;
  readonly escalated: boolean;
  readonly classification?: Classification;
  readonly closeReason?: string;
  /** Wall-clock ms when the alert was created or last reopened (drives `autoEscalateAfter`). */
  readonly openedAtMs: number;
  readonly history: readonly HistoryEntry[];
  readonly version: number;
}

export const ALERT_STATES = ['open', 'acknowledged', 'closed'] as const;
export type AlertState = (typeof ALERT_STATES)[number];

export const CLASSIFICATIONS = [
  'true-positive',
  'benign-positive',
  'false-positive',
  'undetermined',
] as const;
export type Classification = (typeof CLASSIFICATIONS)[number];

export function isClassification(value: unknown): value is Classification {
  return typeof value === 'string' && (CLASSIFICATIONS as readonly string[]).includes(value);
}

/** What people (and the system) can do to an alert. */
export const ALERT_ACTIONS = ['acknowledge', 'close', 'escalate', 'reopen'] as const;
export type AlertAction = (typeof ALERT_ACTIONS)[number];

/** One transition, shown on the card as who / when / why. */
export interface HistoryEntry {
  readonly action: AlertAction | 'open' | 'regroup';
  /** Person name from `people`, or `system`. */
  readonly person: string;
  /** Display name at the time, for the card. */
  readonly displayName: string;
  /** ISO wall-clock time. */
  readonly at: string;
  readonly comment?: string;
  /** Chat account that did it, e.g. `slack:U01ALICE`; absent for the system. */
  readonly via?: string;
}

/**
 * A Key Vault Event Grid notice linked to an alert raised from the audit record of the same change
 * (`VaultAccessPolicyChanged` for the access-policy rules). It confirms the change; it is never counted.
 */
export interface Corroboration {
  /** Event Grid event id (stable across redelivery). */
  readonly id: string;
  /** Short type, e.g. `VaultAccessPolicyChanged`. */
  readonly type: string;
  /** Event time of the notice (ISO and ms). */
  readonly time: string;
  readonly timeMs: number;
}

export const EVENT_KEYS_CAP = 50;
/** Corroborations kept on an alert. */
export const CORROBORATIONS_CAP = 10;
export const DETECTION_IDS_CAP = 100;
/** Transitions kept on the document (and card); the full trail is in the store's audit log. */
export const HISTORY_CAP = 30;

export const SYSTEM_ACTOR = 'system';
