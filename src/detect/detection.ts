import type { RuleId, Severity } from './rule-ids.js';

/**
 * One firing of a rule, produced by the streaming engine at event time. Detections with the same
 * fingerprint (rule + vault + principal) inside the grouping window become one alert with a count.
 */
export interface Detection {
  readonly rule: RuleId;
  readonly severity: Severity;
  /** Vault name, lower case. */
  readonly vault: string;
  /** Entra object id, else app id, else caller IP. */
  readonly principal: string;
  /** For display on cards. */
  readonly principalUpn?: string;
  readonly appId?: string;
  readonly ip?: string;
  /** Event time of the (last) event that made the rule fire, ISO-8601. */
  readonly time: string;
  readonly timeMs: number;
  /** One sentence, e.g. "bob@contoso.com purged secret stripe-api-key". */
  readonly summary: string;
  /** Event keys behind this firing. */
  readonly eventKeys: readonly string[];
  /** Rule-specific facts shown on the card (operation, object, IP rule, counts, …). Never secret values. */
  readonly evidence: Readonly<Record<string, string | number | boolean>>;
}

/** rule + vault + principal: the identity of an alert for grouping. */
export function fingerprintOf(d: Pick<Detection, 'rule' | 'vault' | 'principal'>): string {
  return `${d.rule}|${d.vault}|${d.principal.toLowerCase()}`;
}
