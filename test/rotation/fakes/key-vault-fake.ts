import { randomBytes } from 'node:crypto';
import { tokenFor } from './fake-credential.js';
import { type FakeRequest, type FakeResponse, HttpsFake } from './https-fake.js';

interface Version {
  version: string;
  value: string;
  tags: Record<string, string>;
  created: number;
  exp?: number;
}

export const KEY_VAULT_API_VERSION = '2025-07-01';

/**
 * One Key Vault's secrets API as the real service behaves: challenge auth (401 with WWW-Authenticate, then a
 * bearer token for https://vault.azure.net/.default), api-version 2025-07-01, secret bundles with ids
 * `<vault>/secrets/<name>/<version>`, attributes in Unix seconds, version lists without values, 404 SecretNotFound.
 */
export class KeyVaultFake {
  readonly http: HttpsFake;
  readonly secrets = new Map<string, Version[]>();
  writes = 0;
  baseUrl = '';
  /** The caller has no data-plane role on this vault: every authenticated request gets Key Vault's RBAC 403. */
  forbidden = false;

  constructor() {
    this.http = new HttpsFake((req) => this.route(req));
  }

  async start(): Promise<string> {
    this.baseUrl = await this.http.start();
    return this.baseUrl;
  }

  put(name: string, value: string, tags: Record<string, string>, exp?: number): string {
    const version = randomBytes(16).toString('hex');
    const list = this.secrets.get(name) ?? [];
    list.push({
      version,
      value,
      tags: { ...tags },
      created: Math.floor(Date.now() / 1000),
      ...(exp ? { exp } : {}),
    });
    this.secrets.set(name, list);
    return version;
  }

  latest(name: string): Version | undefined {
    return this.secrets.get(name)?.at(-1);
  }

  private bundle(name: string, v: Version, withValue: boolean): Record<string, unknown> {
    return {
      ...(withValue ? { value: v.value } : {}),
      id: `${this.baseUrl}/secrets/${name}/${v.version}`,
      attributes: {
        enabled: true,
        created: v.created,
        updated: v.created,
        recoveryLevel: 'Recoverable+Purgeable',
        ...(v.exp ? { exp: v.exp } : {}),
      },
      tags: v.tags,
    };
  }

  /** `GET /secrets`: secret items (id, attributes, tags; no values), `maxresults` 1–25 a page, then a nextLink. */
  private listSecrets(req: FakeRequest): FakeResponse {
    const max = Number(req.query.get('maxresults') ?? 25);
    if (!Number.isInteger(max) || max < 1 || max > 25)
      return {
        status: 400,
        body: { error: { code: 'BadParameter', message: 'maxresults must be between 1 and 25' } },
      };
    const skip = Number(req.query.get('$skiptoken') ?? 0);
    const names = [...this.secrets.keys()].sort();
    const page = names.slice(skip, skip + max).map((name) => {
      const { value: _value, ...item } = this.bundle(name, this.latest(name) as Version, false);
      return { ...item, id: `${this.baseUrl}/secrets/${name}` };
    });
    const nextLink =
      skip + max < names.length
        ? `${this.baseUrl}/secrets?api-version=${KEY_VAULT_API_VERSION}&$skiptoken=${skip + max}&maxresults=${max}`
        : null;
    return { status: 200, body: { value: page, nextLink } };
  }

  private route(req: FakeRequest): FakeResponse | { op: string; run: () => FakeResponse } {
    if (!req.headers.authorization) {
      return {
        status: 401,
        headers: {
          'www-authenticate':
            'Bearer authorization="https://login.microsoftonline.com/72f988bf-86f1-41af-91ab-2d7cd011db47", resource="https://vault.azure.net"',
        },
        body: {
          error: { code: 'Unauthorized', message: 'AKV10000: Request is missing a Bearer or PoP token.' },
        },
      };
    }
    if (req.headers.authorization !== `Bearer ${tokenFor('https://vault.azure.net/.default')}`) {
      return { status: 401, body: { error: { code: 'Unauthorized', message: 'AKV10032: Invalid issuer.' } } };
    }
    if (req.query.get('api-version') !== KEY_VAULT_API_VERSION) {
      return {
        status: 400,
        body: { error: { code: 'BadParameter', message: 'The specified version is not supported' } },
      };
    }
    if (this.forbidden) {
      return {
        status: 403,
        body: {
          error: {
            code: 'Forbidden',
            message:
              "Caller is not authorized to perform action on resource.\r\nIf role assignments, deny assignments or role definitions were changed recently, please observe propagation time.\r\nAction: 'Microsoft.KeyVault/vaults/secrets/readMetadata/action'\r\nAssignment: (not found)\r\nDecisionReason: 'DeniedWithNoValidRBAC'\r\n",
            innererror: { code: 'ForbiddenByRbac' },
          },
        },
      };
    }
    const parts = req.path.split('/').filter(Boolean);
    if (req.method === 'GET' && parts.length === 1 && parts[0] === 'secrets') return this.listSecrets(req);
    if (parts[0] !== 'secrets' || !parts[1])
      return { status: 404, body: { error: { code: 'NotFound', message: req.path } } };
    const name = parts[1];
    const notFound = {
      status: 404,
      body: {
        error: {
          code: 'SecretNotFound',
          message: `A secret with (name/id) ${name} was not found in this key vault.`,
        },
      },
    };
    if (req.method === 'PUT' && parts.length === 2) {
      return {
        op: 'setSecret',
        run: () => {
          const body = req.body as {
            value?: unknown;
            tags?: Record<string, string>;
            attributes?: { exp?: number };
          };
          if (typeof body?.value !== 'string')
            return { status: 400, body: { error: { code: 'BadParameter', message: 'value' } } };
          this.put(name, body.value, body.tags ?? {}, body.attributes?.exp);
          this.writes++;
          const v = this.latest(name) as Version;
          return { status: 200, body: this.bundle(name, v, true) };
        },
      };
    }
    if (req.method === 'GET' && parts[2] === 'versions') {
      return {
        op: 'listVersions',
        run: () => {
          const list = this.secrets.get(name);
          if (!list) return notFound;
          return {
            status: 200,
            body: { value: list.map((v) => this.bundle(name, v, false)), nextLink: null },
          };
        },
      };
    }
    if (req.method === 'GET' && parts.length <= 3) {
      return {
        op: 'getSecret',
        run: () => {
          const list = this.secrets.get(name);
          const v = parts[2] ? list?.find((x) => x.version === parts[2]) : list?.at(-1);
          return v ? { status: 200, body: this.bundle(name, v, true) } : notFound;
        },
      };
    }
    return { status: 405, body: { error: { code: 'MethodNotAllowed', message: req.method } } };
  }
}
