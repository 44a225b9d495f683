/** Stable rule ids (DESIGN §4.4): they appear in cards, configuration and `detect` output. */
export const RULE_IDS = [
  'firewall-opened',
  'firewall-ip-added',
  'access-policy-added',
  'access-granted-then-revoked',
  'new-principal',
  'destructive-operation',
  'failed-request-burst',
  'bulk-enumeration',
  'mass-secret-retrieval',
  'unexpected-app',
] as const;

export type RuleId = (typeof RULE_IDS)[number];

export const SEVERITIES = ['low', 'medium', 'high', 'critical'] as const;
export type Severity = (typeof SEVERITIES)[number];

export function isRuleId(value: string): value is RuleId {
  return (RULE_IDS as readonly string[]).includes(value);
}

export function severityRank(s: Severity): number {
  return SEVERITIES.indexOf(s);
}
