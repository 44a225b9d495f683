/**
 * Key Vault AuditEvent operation names (reference §4). Lookups are case-insensitive and return
 * the canonical casing; names not listed are valid data and kept as given.
 */
const NAMES = [
  'Authentication',
  'VaultGet',
  'VaultPut',
  'VaultDelete',
  'VaultPatch',
  'VaultList',
  'VaultPurge',
  'VaultRecover',
  'VaultGetDeleted',
  'VaultListDeleted',
  'VaultAccessPolicyChangedEventGridNotification',
  'KeyCreate',
  'KeyGet',
  'KeyImport',
  'KeyDelete',
  'KeySign',
  'KeyVerify',
  'KeyWrap',
  'KeyUnwrap',
  'KeyEncrypt',
  'KeyDecrypt',
  'KeyUpdate',
  'KeyList',
  'KeyListVersions',
  'KeyPurge',
  'KeyBackup',
  'KeyRestore',
  'KeyRecover',
  'KeyGetDeleted',
  'KeyListDeleted',
  'KeyNearExpiryEventGridNotification',
  'KeyExpiredEventGridNotification',
  'KeyRotate',
  'KeyRotateIfDue',
  'KeyRotationPolicyGet',
  'KeyRotationPolicySet',
  'SecretSet',
  'SecretGet',
  'SecretUpdate',
  'SecretDelete',
  'SecretList',
  'SecretListVersions',
  'SecretPurge',
  'SecretBackup',
  'SecretRestore',
  'SecretRecover',
  'SecretGetDeleted',
  'SecretListDeleted',
  'SecretNearExpiryEventGridNotification',
  'SecretExpiredEventGridNotification',
  'CertificateGet',
  'CertificateCreate',
  'CertificateImport',
  'CertificateUpdate',
  'CertificateList',
  'CertificateListVersions',
  'CertificateDelete',
  'CertificatePurge',
  'CertificateBackup',
  'CertificateRestore',
  'CertificateRecover',
  'CertificateGetDeleted',
  'CertificateListDeleted',
  'CertificatePolicyGet',
  'CertificatePolicyUpdate',
  'CertificatePolicySet',
  'CertificateContactsGet',
  'CertificateContactsSet',
  'CertificateContactsDelete',
  'CertificateIssuerGet',
  'CertificateIssuerSet',
  'CertificateIssuerUpdate',
  'CertificateIssuerDelete',
  'CertificateIssuersList',
  'CertificateEnroll',
  'CertificateRenew',
  'CertificatePendingGet',
  'CertificatePendingMerge',
  'CertificatePendingUpdate',
  'CertificatePendingDelete',
  'CertificateNearExpiryEventGridNotification',
  'CertificateExpiredEventGridNotification',
] as const;

export type KnownOperation = (typeof NAMES)[number];

const CANONICAL = new Map<string, string>();
for (const n of NAMES) {
  CANONICAL.set(n, n);
  CANONICAL.set(n.toLowerCase(), n);
}

/** The canonical casing of a known operation name, or the name as given. */
export function canonicalOperation(name: string): string {
  return CANONICAL.get(name) ?? CANONICAL.get(name.toLowerCase()) ?? name;
}

export function isKnownOperation(name: string): boolean {
  return CANONICAL.has(name) || CANONICAL.has(name.toLowerCase());
}
