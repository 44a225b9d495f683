import type { RuleId } from '../rule-ids.js';
import { AccessPolicyAddedRule, GrantedThenRevokedRule } from './access-policy.js';
import { BulkEnumerationRule } from './bulk-enumeration.js';
import { DestructiveOperationRule, UnexpectedAppRule } from './destructive.js';
import { FailedBurstRule } from './failed-burst.js';
import { FirewallIpAddedRule, FirewallOpenedRule } from './firewall.js';
import { MassRetrievalRule } from './mass-retrieval.js';
import { NewPrincipalRule } from './new-principal.js';
import type { Rule, RuleContext } from './rule.js';

/** Builds every rule of the catalog (DESIGN §4.4), in catalog order. */
export const RULE_FACTORIES: Record<RuleId, (ctx: RuleContext) => Rule> = {
  'firewall-opened': () => new FirewallOpenedRule(),
  'firewall-ip-added': (ctx) => new FirewallIpAddedRule(ctx),
  'access-policy-added': () => new AccessPolicyAddedRule(),
  'access-granted-then-revoked': (ctx) => new GrantedThenRevokedRule(ctx),
  'new-principal': (ctx) => new NewPrincipalRule(ctx),
  'destructive-operation': (ctx) => new DestructiveOperationRule(ctx),
  'failed-request-burst': (ctx) => new FailedBurstRule(ctx),
  'bulk-enumeration': (ctx) => new BulkEnumerationRule(ctx),
  'mass-secret-retrieval': (ctx) => new MassRetrievalRule(ctx),
  'unexpected-app': (ctx) => new UnexpectedAppRule(ctx),
};
