import type { AccessPolicyChange } from '../../audit/audit-event.js';
import { actorOf, isVaultChange } from '../describe.js';
import type { RuleEvent } from '../rule-event.js';
import { entriesToMap, type Finding, mapToEntries, type Rule, type RuleContext } from './rule.js';

const SENSITIVE = new Set(['purge', 'backup', 'get', 'list', 'all']);

function permissionText(p: AccessPolicyChange): string {
  const parts = (['secrets', 'keys', 'certificates'] as const)
    .filter((k) => p.permissions[k].length > 0)
    .map((k) => `${k}: ${p.permissions[k].join(', ')}`);
  return parts.length > 0 ? ` (${parts.join('; ')})` : '';
}

/**
 * access-policy-added: a successful VaultPut/VaultPatch with addedAccessPolicy. High when the caller
 * grants itself, or the grant includes purge/backup/get/list on secrets or keys; medium otherwise.
 * The companion VaultAccessPolicyChangedEventGridNotification record is not counted a second time.
 */
export class AccessPolicyAddedRule implements Rule {
  readonly id = 'access-policy-added' as const;
  readonly defaultSeverity = 'medium' as const;

  observe(e: RuleEvent, report: (f: Finding) => void): void {
    const p = e.addedAccessPolicy;
    if (!isVaultChange(e) || !p) return;
    const self = e.identity.objectId !== undefined && e.identity.objectId === p.objectId.toLowerCase();
    const sensitive = [...p.permissions.secrets, ...p.permissions.keys].some((x) =>
      SENSITIVE.has(x.toLowerCase()),
    );
    const whom = self ? 'themselves' : p.objectId;
    report({
      event: e,
      severity: self || sensitive ? 'high' : 'medium',
      summary: `${actorOf(e)} granted ${whom} access to vault ${e.vault}${permissionText(p)}`,
      eventKeys: [e.key],
      evidence: {
        operation: e.operation,
        grantee: p.objectId,
        selfGrant: self,
        secrets: p.permissions.secrets.join(','),
        keys: p.permissions.keys.join(','),
        certificates: p.permissions.certificates.join(','),
      },
    });
  }

  prune(): void {}
  exportState(): unknown {
    return null;
  }
  importState(): void {}
}

interface Grant {
  t: number;
  key: string;
  by: string;
}

/**
 * access-granted-then-revoked: same vault and grantee object id, a removal within `grantRevokeWindow`
 * after the grant (0 ≤ removal − grant ≤ window). Open grants are kept only for the window.
 */
export class GrantedThenRevokedRule implements Rule {
  readonly id = 'access-granted-then-revoked' as const;
  readonly defaultSeverity = 'high' as const;
  private grants = new Map<string, Grant>();
  constructor(private readonly ctx: RuleContext) {}

  observe(e: RuleEvent, report: (f: Finding) => void): void {
    if (!isVaultChange(e)) return;
    const window = this.ctx.detection.grantRevokeWindow;
    const added = e.addedAccessPolicy;
    if (added)
      this.grants.set(`${e.vault}|${added.objectId.toLowerCase()}`, {
        t: e.timeMs,
        key: e.key,
        by: actorOf(e),
      });
    const removed = e.removedAccessPolicy;
    if (!removed) return;
    const id = `${e.vault}|${removed.objectId.toLowerCase()}`;
    const grant = this.grants.get(id);
    if (!grant) return;
    const delta = e.timeMs - grant.t;
    if (delta < 0 || delta > window) return;
    this.grants.delete(id);
    const minutes = Math.round(delta / 60_000);
    report({
      event: e,
      summary: `${actorOf(e)} revoked ${removed.objectId.toLowerCase() === e.identity.objectId ? 'their own access' : `the access of ${removed.objectId}`} to vault ${e.vault} ${minutes} min after ${grant.by} granted it`,
      eventKeys: [grant.key, e.key],
      evidence: { grantee: removed.objectId, grantedBy: grant.by, secondsBetween: Math.round(delta / 1000) },
    });
  }

  prune(watermarkMs: number): void {
    const window = this.ctx.detection.grantRevokeWindow;
    for (const [id, g] of this.grants) if (g.t < watermarkMs - window) this.grants.delete(id);
  }

  exportState(): unknown {
    return mapToEntries(this.grants);
  }

  importState(state: unknown): void {
    this.grants = entriesToMap<Grant>(state);
  }
}
