/**
 * Loads @kusto/language-service-next in plain Node (its Bridge.NET runtime first, then the package,
 * which defines the global `Kusto`) and checks KQL against a database schema holding the two Key Vault
 * audit tables. Column lists and types follow reference/azure-audit-data.md §1.4 and §3.
 */
import { createRequire } from 'node:module';

// biome-ignore lint/suspicious/noExplicitAny: the bridge is untyped global JavaScript
type Any = any;

let kusto: Any;
function load(): Any {
  if (!kusto) {
    const require = createRequire(import.meta.url);
    require('@kusto/language-service-next/bridge.js');
    require('@kusto/language-service-next/Kusto.Language.Bridge.js');
    kusto = (globalThis as Any).Kusto;
  }
  return kusto;
}

type ColumnType = 'string' | 'datetime' | 'long' | 'int' | 'real' | 'bool' | 'guid' | 'dynamic';

/** Columns every AzureDiagnostics row has, whatever resources write to the workspace. */
export const AZURE_DIAGNOSTICS_FIXED: Record<string, ColumnType> = {
  TenantId: 'string',
  TimeGenerated: 'datetime',
  ResourceId: 'string',
  _ResourceId: 'string',
  SubscriptionId: 'string',
  ResourceGroup: 'string',
  ResourceProvider: 'string',
  ResourceType: 'string',
  Resource: 'string',
  Category: 'string',
  OperationName: 'string',
  OperationVersion: 'string',
  ResultType: 'string',
  ResultSignature: 'string',
  ResultDescription: 'string',
  DurationMs: 'long',
  CallerIPAddress: 'string',
  CorrelationId: 'string',
  SourceSystem: 'string',
  Type: 'string',
};

/** Key Vault's flattened columns as a workspace that has seen data-plane and control-plane records has them. */
export const AZURE_DIAGNOSTICS_KEYVAULT: Record<string, ColumnType> = {
  ...AZURE_DIAGNOSTICS_FIXED,
  identity_claim_oid_g: 'guid',
  identity_claim_upn_s: 'string',
  identity_claim_appid_g: 'guid',
  identity_claim_unique_name_s: 'string',
  identity_claim_ipaddr_s: 'string',
  identity_claim_xms_mirid_s: 'string',
  identity_claim_http_schemas_microsoft_com_identity_claims_objectidentifier_g: 'guid',
  identity_claim_http_schemas_xmlsoap_org_ws_2005_05_identity_claims_upn_s: 'string',
  identity_claim_http_schemas_xmlsoap_org_ws_2005_05_identity_claims_name_s: 'string',
  requestUri_s: 'string',
  id_s: 'string',
  clientInfo_s: 'string',
  httpStatusCode_d: 'real',
  isAccessPolicyMatch_b: 'bool',
  isRbacAuthorized_b: 'bool',
  tlsVersion_s: 'string',
  properties_networkAcls_bypass_s: 'string',
  properties_networkAcls_defaultAction_s: 'string',
  properties_enableRbacAuthorization_b: 'bool',
  addedIpRule_Value_s: 'string',
  addedAccessPolicy_ObjectId_g: 'guid',
  addedAccessPolicy_TenantId_g: 'guid',
  addedAccessPolicy_Permissions_secrets_s: 'string',
  removedAccessPolicy_ObjectId_g: 'guid',
};

export const AZKV_AUDIT_LOGS: Record<string, ColumnType> = {
  AddressAuthorizationType: 'string',
  Algorithm: 'string',
  AppliedAssignmentId: 'string',
  _BilledSize: 'real',
  CallerIpAddress: 'string',
  CertificateIssuerProperties: 'dynamic',
  CertificatePolicyProperties: 'dynamic',
  CertificateProperties: 'dynamic',
  CertificateRequestProperties: 'dynamic',
  ClientInfo: 'string',
  CorrelationId: 'string',
  DurationMs: 'int',
  EnabledForDeployment: 'bool',
  EnabledForDiskEncryption: 'bool',
  EnabledForTemplateDeployment: 'bool',
  EnablePurgeProtection: 'bool',
  EnableRbacAuthorization: 'bool',
  EnableSoftDelete: 'bool',
  HsmPoolResourceId: 'string',
  HttpStatusCode: 'int',
  Id: 'string',
  Identity: 'dynamic',
  IsAccessPolicyMatch: 'bool',
  IsAddressAuthorized: 'bool',
  _IsBillable: 'string',
  IsRbacAuthorized: 'bool',
  KeyProperties: 'dynamic',
  NetworkAcls: 'dynamic',
  Nsp: 'dynamic',
  OperationName: 'string',
  OperationVersion: 'string',
  Properties: 'dynamic',
  RequestUri: 'string',
  _ResourceId: 'string',
  ResultDescription: 'string',
  ResultSignature: 'string',
  ResultType: 'string',
  SecretProperties: 'dynamic',
  Sku: 'dynamic',
  SoftDeleteRetentionInDays: 'int',
  SourceSystem: 'string',
  StorageAccountProperties: 'dynamic',
  StorageSasDefinitionProperties: 'dynamic',
  SubnetId: 'string',
  _SubscriptionId: 'string',
  TenantId: 'string',
  TimeGenerated: 'datetime',
  Tlsversion: 'string',
  TrustedService: 'string',
  Type: 'string',
  VaultProperties: 'dynamic',
};

export interface KqlDiagnostic {
  readonly severity: string;
  readonly message: string;
  readonly at: number;
  readonly near: string;
}

/** A schema to check against: table name → columns. */
export type Schema = Record<string, Record<string, ColumnType>>;

const globalsCache = new Map<Schema, Any>();

function globalsFor(schema: Schema): Any {
  const cached = globalsCache.get(schema);
  if (cached) return cached;
  const K = load();
  const S = K.Language.Symbols;
  const scalar = (t: ColumnType) =>
    ({
      string: S.ScalarTypes.String,
      datetime: S.ScalarTypes.DateTime,
      long: S.ScalarTypes.Long,
      int: S.ScalarTypes.Int,
      real: S.ScalarTypes.Real,
      bool: S.ScalarTypes.Bool,
      guid: S.ScalarTypes.Guid,
      dynamic: S.ScalarTypes.Dynamic,
    })[t];
  const tables = Object.entries(schema).map(
    ([name, cols]) =>
      new S.TableSymbol.$ctor4(
        name,
        Object.entries(cols).map(([c, t]) => new S.ColumnSymbol(c, scalar(t))),
      ),
  );
  const db = new S.DatabaseSymbol.ctor('workspace', tables);
  const globals = K.Language.GlobalState.Default.WithDatabase(db);
  globalsCache.set(schema, globals);
  return globals;
}

/** Parses and semantically analyses KQL; returns every diagnostic (errors and warnings). */
export function analyzeKql(text: string, schema: Schema): KqlDiagnostic[] {
  const K = load();
  const code = K.Language.KustoCode.ParseAndAnalyze(text, globalsFor(schema));
  const list = code.GetDiagnostics();
  const out: KqlDiagnostic[] = [];
  for (let i = 0; i < list.Count; i++) {
    const d = list.getItem(i);
    out.push({
      severity: String(d.Severity),
      message: d.Message,
      at: d.Start,
      near: text.slice(Math.max(0, d.Start - 30), d.Start + 30),
    });
  }
  return out;
}

/** Values of every string-literal token in the text, as the Kusto lexer reads them. */
export function stringLiterals(text: string): string[] {
  const K = load();
  const out: string[] = [];
  for (const t of lexicalTokens(text)) {
    if (t.Kind === K.Language.Syntax.SyntaxKind.StringLiteralToken)
      out.push(K.Language.KustoFacts.GetStringLiteralValue(t.Text));
  }
  return out;
}

/** Every token's text in order, to compare the shape of two renderings. */
export function tokenKinds(text: string): number[] {
  const out = lexicalTokens(text).map((t) => t.Kind as number);
  if (out.length < 10) throw new Error('the Kusto lexer returned no tokens');
  return out;
}

/** The lexer's tokens (a plain array in the bridge). */
function lexicalTokens(text: string): Array<{ Kind: number; Text: string }> {
  const K = load();
  const tokens = K.Language.KustoCode.Parse(text, K.Language.GlobalState.Default).GetLexicalTokens();
  if (!Array.isArray(tokens)) throw new Error('unexpected token list from the Kusto bridge');
  return tokens;
}
