import { actorOf, objectText } from '../describe.js';
import type { RuleEvent } from '../rule-event.js';
import type { Finding, Rule, RuleContext } from './rule.js';

const VERBS: Record<string, string> = {
  VaultDelete: 'deleted',
  KeyDelete: 'deleted',
  SecretDelete: 'deleted',
  CertificateDelete: 'deleted',
  SecretPurge: 'purged',
  KeyPurge: 'purged',
  CertificatePurge: 'purged',
  SecretBackup: 'backed up',
  KeyBackup: 'backed up',
  SecretListDeleted: 'listed the deleted secrets of',
};
const BACKUPS = new Set(['SecretBackup', 'KeyBackup']);

/**
 * destructive-operation: success (2xx only — a 403 whose resultType says "Success" never fires) on a
 * delete, purge, backup or deleted-secret listing. Backups by `backupPrincipals` (object id, app id or
 * UPN) are expected and skipped.
 */
export class DestructiveOperationRule implements Rule {
  readonly id = 'destructive-operation' as const;
  readonly defaultSeverity = 'high' as const;
  constructor(private readonly ctx: RuleContext) {}

  observe(e: RuleEvent, report: (f: Finding) => void): void {
    const verb = VERBS[e.operation];
    if (!verb || !e.success) return;
    if (BACKUPS.has(e.operation) && this.isBackupPrincipal(e)) return;
    const what =
      e.operation === 'SecretListDeleted' || e.operation === 'VaultDelete'
        ? `vault ${e.vault}`
        : objectText(e);
    report({
      event: e,
      summary: `${actorOf(e)} ${verb} ${what}`,
      eventKeys: [e.key],
      evidence: {
        operation: e.operation,
        ...(e.object?.name ? { object: e.object.name, objectType: e.object.type } : {}),
        ...(e.status !== undefined ? { status: e.status } : {}),
      },
    });
  }

  private isBackupPrincipal(e: RuleEvent): boolean {
    const ids = [e.principal, e.identity.objectId, e.identity.appId, e.identity.upn];
    return ids.some((id) => id !== undefined && this.ctx.backupPrincipals.has(id.toLowerCase()));
  }

  prune(): void {}
  exportState(): unknown {
    return null;
  }
  importState(): void {}
}

/** unexpected-app: a successful SecretGet on a vault with `expectedApps` by any other app id (or none). */
export class UnexpectedAppRule implements Rule {
  readonly id = 'unexpected-app' as const;
  readonly defaultSeverity = 'high' as const;
  private readonly expected = new Map<string, Set<string>>();
  constructor(ctx: RuleContext) {
    for (const [name, v] of Object.entries(ctx.vaults))
      if (v.expectedApps.length > 0) this.expected.set(name.toLowerCase(), new Set(v.expectedApps));
  }

  observe(e: RuleEvent, report: (f: Finding) => void): void {
    if (e.operation !== 'SecretGet' || !e.success) return;
    const apps = this.expected.get(e.vault);
    const app = e.identity.appId;
    if (!apps || (app !== undefined && apps.has(app))) return;
    const via = app ? `app ${app}` : 'no app id';
    report({
      event: e,
      summary: `${actorOf(e)} read ${objectText(e)} through ${via}, which is not an expected app of vault ${e.vault}`,
      eventKeys: [e.key],
      evidence: {
        operation: e.operation,
        appId: app ?? '',
        ...(e.object?.name ? { object: e.object.name } : {}),
      },
    });
  }

  prune(): void {}
  exportState(): unknown {
    return null;
  }
  importState(): void {}
}
