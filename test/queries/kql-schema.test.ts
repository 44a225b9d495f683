import { describe, expect, test } from 'vitest';
import { CATALOG } from '../../src/queries/catalog/index.js';
import { QUERY_NAMES, type QueryParams, type TablesMode } from '../../src/queries/query-spec.js';
import { renderKql } from '../../src/queries/render.js';
import {
  AZKV_AUDIT_LOGS,
  AZURE_DIAGNOSTICS_FIXED,
  AZURE_DIAGNOSTICS_KEYVAULT,
  analyzeKql,
  type Schema,
} from './support/kusto.js';

const T = Date.parse('2025-06-02T12:34:56.789Z');
const range = { startMs: T - 86_400_000, endMs: T, label: 'last 1d' };
const MODES: TablesMode[] = ['AzureDiagnostics', 'AZKVAuditLogs', 'both'];

/** Parameter combinations each query is rendered with. */
const VARIANTS: Record<string, QueryParams> = {
  'vault only': { vault: 'kv-prod-payments', range, limit: 50 },
  'all vaults': { range, limit: 10 },
  'vault + ip': { vault: 'kv-prod-payments', ip: '203.0.113.66', range, limit: 5 },
  'caller by upn': { caller: 'bob@contoso.com', range, limit: 50 },
  'caller by guid + vault': {
    caller: 'e5555555-5555-4555-8555-555555555555',
    vault: 'kv-a1',
    range,
    limit: 50,
  },
};

const FULL_WORKSPACE: Schema = {
  AzureDiagnostics: AZURE_DIAGNOSTICS_KEYVAULT,
  AZKVAuditLogs: AZKV_AUDIT_LOGS,
};
/** A workspace whose AzureDiagnostics has never seen a Key Vault column (column_ifexists must carry it). */
const BARE_WORKSPACE: Schema = { AzureDiagnostics: AZURE_DIAGNOSTICS_FIXED, AZKVAuditLogs: AZKV_AUDIT_LOGS };

describe('every rendered KQL query passes the Kusto parser and schema check', () => {
  for (const name of QUERY_NAMES) {
    const spec = CATALOG[name];
    for (const mode of MODES) {
      for (const [variant, params] of Object.entries(VARIANTS)) {
        if (spec.needs.caller === 'required' && !params.caller) continue;
        if (spec.needs.caller === 'none' && params.caller) continue;
        test(`${name} on ${mode} (${variant}) has zero diagnostics`, () => {
          const kql = renderKql(spec, params, mode);
          expect(analyzeKql(kql, FULL_WORKSPACE)).toEqual([]);
          expect(analyzeKql(kql, BARE_WORKSPACE)).toEqual([]);
        });
      }
    }
  }
});

describe('the schema check catches what it must', () => {
  test('the AzureDiagnostics caller-IP column name used on AZKVAuditLogs is an error', () => {
    const diags = analyzeKql('AZKVAuditLogs | summarize count() by CallerIPAddress', FULL_WORKSPACE);
    expect(diags.map((d) => d.message).join()).toMatch(/CallerIPAddress/);
  });

  test('a flattened column referenced directly (not via column_ifexists) fails on a bare workspace', () => {
    const diags = analyzeKql('AzureDiagnostics | project identity_claim_oid_g', BARE_WORKSPACE);
    expect(diags.length).toBeGreaterThan(0);
  });

  test('a syntax error is reported', () => {
    expect(analyzeKql('AZKVAuditLogs | where (', FULL_WORKSPACE).length).toBeGreaterThan(0);
  });
});

describe('rendered KQL decides outcome from the HTTP status and coalesces identity', () => {
  const kql = renderKql(CATALOG.who, VARIANTS['vault only']!, 'both');
  test('never filters or decides on ResultType', () => {
    expect(kql).not.toMatch(/ResultType/);
  });
  test('reads both the oid and the objectidentifier URI claim in each table', () => {
    expect(kql).toContain('column_ifexists("identity_claim_oid_g"');
    expect(kql).toContain('identity_claim_http_schemas_microsoft_com_identity_claims_objectidentifier_g');
    expect(kql).toContain('Identity.claim.oid');
    expect(kql).toContain('Identity.claim["http://schemas.microsoft.com/identity/claims/objectidentifier"]');
  });
  test('uses each table’s own caller-IP column casing', () => {
    expect(kql).toContain('CallerIp = CallerIPAddress');
    expect(kql).toContain('CallerIp = CallerIpAddress');
  });
});
