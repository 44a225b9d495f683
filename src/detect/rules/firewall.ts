import { actorOf, isVaultChange } from '../describe.js';
import type { RuleEvent } from '../rule-event.js';
import { entriesToMap, type Finding, mapToEntries, type Rule, type RuleContext } from './rule.js';

type AclState = 'Deny' | 'Allow' | 'public';

function aclOf(e: RuleEvent): AclState | undefined {
  if (e.networkAcls === undefined) return undefined;
  if (e.networkAcls === null) return 'public';
  return e.networkAcls.defaultAction;
}

/**
 * firewall-opened: a successful VaultPut/VaultPatch leaving the firewall open (networkAcls null or
 * defaultAction Allow) when the last known state of that vault was Deny. The state is learned from any
 * successful Vault* record that carries networkAcls (VaultGet polls included). Unknown prior state: no alert.
 */
export class FirewallOpenedRule implements Rule {
  readonly id = 'firewall-opened' as const;
  readonly defaultSeverity = 'high' as const;
  private last = new Map<string, AclState>();

  observe(e: RuleEvent, report: (f: Finding) => void): void {
    if (!e.success || !e.operation.startsWith('Vault')) return;
    const next = aclOf(e);
    if (next === undefined) return;
    const previous = this.last.get(e.vault);
    this.last.set(e.vault, next);
    if (!isVaultChange(e) || previous !== 'Deny' || next === 'Deny') return;
    const how =
      next === 'public' ? 'removed the network rules of' : 'set the firewall default action to Allow on';
    report({
      event: e,
      summary: `${actorOf(e)} ${how} vault ${e.vault}`,
      eventKeys: [e.key],
      evidence: {
        operation: e.operation,
        previous: 'Deny',
        now: next === 'public' ? 'no firewall' : 'Allow',
      },
    });
  }

  prune(): void {}

  exportState(): unknown {
    return mapToEntries(this.last);
  }

  importState(state: unknown): void {
    this.last = entriesToMap<AclState>(state);
  }
}

/** firewall-ip-added: a successful VaultPut/VaultPatch adding an IP rule outside `knownNetworks`. */
export class FirewallIpAddedRule implements Rule {
  readonly id = 'firewall-ip-added' as const;
  readonly defaultSeverity = 'medium' as const;
  constructor(private readonly ctx: RuleContext) {}

  observe(e: RuleEvent, report: (f: Finding) => void): void {
    if (!isVaultChange(e) || !e.addedIpRule) return;
    if (this.ctx.knownNetworks.contains(e.addedIpRule)) return;
    report({
      event: e,
      summary: `${actorOf(e)} added IP rule ${e.addedIpRule} to the firewall of vault ${e.vault}`,
      eventKeys: [e.key],
      evidence: { operation: e.operation, ipRule: e.addedIpRule },
    });
  }

  prune(): void {}
  exportState(): unknown {
    return null;
  }
  importState(): void {}
}
