/**
 * The one normalized shape of a Key Vault audit record, whatever form it arrived in
 * (blob JSON Lines, {"records":[…]}, Event Hub body, AzureDiagnostics or AZKVAuditLogs export).
 * Everything downstream (detection, history, queries) reads only this.
 */
export interface AuditEvent {
  /** Stable event key: hex hash of normalized identity fields; equal for the same event in any shape. */
  readonly key: string;
  /** Event time (the record's `time` / `TimeGenerated`), ISO-8601 UTC with millisecond precision. */
  readonly time: string;
  /** `time` as epoch milliseconds, for windows. */
  readonly timeMs: number;
  /** Vault name, lower case. */
  readonly vault: string;
  /** Vault ARM resource id, lower case. */
  readonly resourceId: string;
  /** operationName; the canonical casing when the name is known (e.g. `SecretGet`), as given otherwise. */
  readonly operation: string;
  readonly operationVersion?: string;
  /** HTTP status (`httpStatusCode`); undefined only when the record carries none. */
  readonly status?: number;
  /** Decided from the HTTP status (2xx), falling back to resultSignature; never from resultType. */
  readonly success: boolean;
  readonly resultType?: string;
  readonly resultSignature?: string;
  readonly resultDescription?: string;
  /** Coalesced principal: oid, else app id, else UPN, else caller IP, else "unknown". */
  readonly principal: string;
  readonly identity: AuditIdentity;
  /** Caller IP (callerIpAddress / CallerIPAddress / CallerIpAddress). */
  readonly ip?: string;
  readonly correlationId?: string;
  readonly requestUri?: string;
  /** Object acted on, from `id` or else `requestUri`. */
  readonly object?: AuditObject;
  readonly authorization: AuthorizationInfo;
  /** Vault network ACL state carried by Vault* records: `null` means no firewall (public). */
  readonly networkAcls?: NetworkAclState | null;
  readonly addedAccessPolicy?: AccessPolicyChange;
  readonly removedAccessPolicy?: AccessPolicyChange;
  /** `properties.addedIpRule.Value`, e.g. `203.0.113.66/32`. */
  readonly addedIpRule?: string;
  readonly removedIpRule?: string;
  readonly clientInfo?: string;
  readonly durationMs?: number;
  readonly tlsVersion?: string;
}

export interface AuditIdentity {
  /** Entra object id (oid or the objectidentifier URI claim), lower case. */
  readonly objectId?: string;
  /** Application (client) id, lower case. */
  readonly appId?: string;
  /** upn, the URI upn claim, or unique_name. */
  readonly upn?: string;
  /** Display name claim of control-plane records. */
  readonly name?: string;
  /** Managed identity resource id (`xms_mirid`). */
  readonly managedIdentityId?: string;
  /** IP address Entra saw when issuing the token (`ipaddr`). */
  readonly tokenIp?: string;
}

export type ObjectType = 'secret' | 'key' | 'certificate' | 'vault' | 'storage' | 'other';

export interface AuditObject {
  readonly type: ObjectType;
  /** Whether the path was /deletedsecrets, /deletedkeys or /deletedcertificates. */
  readonly deleted: boolean;
  readonly name?: string;
  readonly version?: string;
}

export interface AuthorizationInfo {
  /** `rbac` when isRbacAuthorized is present, `access-policy` when isAccessPolicyMatch is, else undefined. */
  readonly model?: 'rbac' | 'access-policy';
  /** The value of isRbacAuthorized / isAccessPolicyMatch. */
  readonly authorized?: boolean;
  readonly appliedAssignmentId?: string;
}

export interface NetworkAclState {
  readonly defaultAction?: 'Allow' | 'Deny';
  readonly bypass?: string;
}

export interface AccessPolicyChange {
  /** Object id granted/removed, lower case. */
  readonly objectId: string;
  readonly tenantId?: string;
  readonly permissions: {
    readonly keys: readonly string[];
    readonly secrets: readonly string[];
    readonly certificates: readonly string[];
  };
}

/**
 * A Key Vault Event Grid event (EventGrid or CloudEvents schema), e.g. SecretNearExpiry.
 * Not an audit record: it never enters detection rules, it becomes an "expiring soon" card.
 */
export interface VaultNotice {
  /** Event id; stable across redelivery. */
  readonly id: string;
  /** Short type without the `Microsoft.KeyVault.` prefix: `SecretNearExpiry`, `VaultAccessPolicyChanged`, … */
  readonly type: string;
  readonly time: string;
  readonly timeMs: number;
  readonly vault: string;
  readonly resourceId?: string;
  readonly objectType?: string;
  readonly objectName?: string;
  readonly version?: string;
  readonly objectId?: string;
  /** Not-before / expiry as ISO strings when present. */
  readonly notBefore?: string;
  readonly expires?: string;
  readonly schema: 'eventgrid' | 'cloudevents';
}

/** One item read from any input: an audit event or an Event Grid notice. */
export type AuditItem =
  | { readonly kind: 'audit'; readonly event: AuditEvent }
  | { readonly kind: 'notice'; readonly notice: VaultNotice };

/** A record that could not be used, with where it was and why. Reported as `file:line: reason`. */
export interface MalformedRecord {
  readonly source: string;
  readonly line: number;
  readonly reason: string;
}
