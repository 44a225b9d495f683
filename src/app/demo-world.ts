/**
 * The demo world shared by the demo data generator (demo/build-demo.ts) and the demo configuration
 * (src/app/demo.ts): vaults, callers and the time span of the bundled audit logs.
 */
export const DEMO_START = Date.UTC(2025, 5, 1);
export const DEMO_DAYS = 3;
export const DEMO_SUBSCRIPTION = '00000000-0000-4000-8000-000000000001';
export const DEMO_TENANT = '11111111-2222-4333-8444-555555555555';

/** The demo callers; the demo configuration (src/app/demo.ts) knows the expected ones. */
export const DEMO_CALLERS = {
  paymentsApi: {
    oid: 'a1111111-1111-4111-8111-111111111111',
    appid: 'b2222222-2222-4222-8222-222222222222',
    ip: '10.20.1.15',
    name: 'payments-api-mi',
  },
  identitySvc: {
    oid: 'a7777777-7777-4777-8777-777777777777',
    appid: 'b8888888-8888-4888-8888-888888888888',
    ip: '10.30.2.20',
    name: 'identity-svc-mi',
  },
  backupJob: {
    oid: 'c3333333-3333-4333-8333-333333333333',
    appid: 'd4444444-4444-4444-8444-444444444444',
    ip: '10.20.9.9',
    name: 'backup-job',
  },
  resourceGraph: {
    oid: 'f6666666-6666-4666-8666-666666666666',
    appid: '509e4652-da8d-478d-a730-e9d4a1996ca4',
    ip: '20.50.0.10',
  },
  dev: {
    oid: 'e1111111-aaaa-4aaa-8aaa-111111111111',
    appid: '04b07795-8ddb-461a-bbee-02f9e1bf7b46',
    upn: 'dana@contoso.com',
    ip: '198.51.100.23',
  },
  bob: {
    oid: 'e5555555-5555-4555-8555-555555555555',
    appid: '04b07795-8ddb-461a-bbee-02f9e1bf7b46',
    upn: 'bob@contoso.com',
    ip: '203.0.113.66',
  },
  eve: {
    oid: 'e9999999-9999-4999-8999-999999999999',
    appid: 'c44b4083-3bb0-49c1-b47d-974e53cbdf3c',
    upn: 'eve@contoso.com',
    ip: '192.0.2.77',
  },
  scanner: {
    oid: 'ab000000-0000-4000-8000-0000000000aa',
    appid: 'ab111111-1111-4111-8111-1111111111ab',
    ip: '198.18.7.23',
  },
  reportingApp: {
    oid: 'cd000000-0000-4000-8000-0000000000cd',
    appid: 'cd111111-1111-4111-8111-1111111111cd',
    ip: '10.40.3.3',
  },
} as const;

export const DEMO_VAULTS = {
  payments: { name: 'kv-prod-payments', rg: 'rg-payments', model: 'access-policy', acl: 'Deny' },
  identity: { name: 'kv-prod-identity', rg: 'rg-identity', model: 'rbac', acl: 'Deny' },
  sandbox: { name: 'kv-dev-sandbox', rg: 'rg-dev', model: 'rbac', acl: null },
} as const;
/** One demo vault. */
export type DemoVault = (typeof DEMO_VAULTS)[keyof typeof DEMO_VAULTS];
