import { randomBytes } from 'node:crypto';
import { tokenFor } from './fake-credential.js';
import { type FakeRequest, type FakeResponse, HttpsFake } from './https-fake.js';

interface Key {
  keyName: string;
  value: string;
  permissions: string;
  creationTime: string;
}

const ROUTE =
  /^\/subscriptions\/([0-9a-f-]{36})\/resourceGroups\/([^/]+)\/providers\/Microsoft\.Storage\/storageAccounts\/([a-z0-9]{3,24})\/(listKeys|regenerateKey)$/i;

/**
 * ARM storage (`Microsoft.Storage/storageAccounts/{name}/listKeys|regenerateKey`) as the real service
 * shapes it: bearer token for the ARM scope required, api-version required, `{"keyName":"key1"}` body,
 * `{"keys":[{keyName,value,permissions,creationTime}]}` responses, ARM error bodies.
 */
export class ArmStorageFake {
  readonly http: HttpsFake;
  readonly accounts = new Map<string, Key[]>();
  regenerations = 0;
  baseUrl = '';
  private lastMs = 0;

  constructor(private readonly newValue: () => string = () => randomBytes(64).toString('base64')) {
    this.http = new HttpsFake((req) => this.route(req));
  }

  async start(): Promise<string> {
    this.baseUrl = await this.http.start();
    return this.baseUrl;
  }

  addAccount(name: string): void {
    const at = this.now();
    this.accounts.set(name, [
      { keyName: 'key1', value: this.newValue(), permissions: 'FULL', creationTime: at },
      { keyName: 'key2', value: this.newValue(), permissions: 'FULL', creationTime: at },
    ]);
  }

  key(account: string, keyName: string): string {
    return this.accounts.get(account)?.find((k) => k.keyName === keyName)?.value ?? '';
  }

  private now(): string {
    this.lastMs = Math.max(Date.now(), this.lastMs + 1);
    return new Date(this.lastMs).toISOString();
  }

  private route(req: FakeRequest): FakeResponse | { op: string; run: () => FakeResponse } {
    if (req.headers.authorization !== `Bearer ${tokenFor(`${this.baseUrl}/.default`)}`) {
      return {
        status: 401,
        body: { error: { code: 'AuthenticationFailed', message: 'bad or missing token' } },
      };
    }
    const m = ROUTE.exec(req.path);
    if (!m || req.method !== 'POST')
      return { status: 404, body: { error: { code: 'NotFound', message: req.path } } };
    if (!req.query.get('api-version')) {
      return {
        status: 400,
        body: { error: { code: 'MissingApiVersionParameter', message: 'api-version required' } },
      };
    }
    const name = (m[3] as string).toLowerCase();
    const op = m[4] as string;
    return {
      op,
      run: () => {
        const keys = this.accounts.get(name);
        if (!keys)
          return { status: 404, body: { error: { code: 'ResourceNotFound', message: `account ${name}` } } };
        if (op === 'regenerateKey') {
          const keyName = (req.body as { keyName?: unknown })?.keyName;
          const key = keys.find((k) => k.keyName === keyName);
          if (!key)
            return {
              status: 400,
              body: { error: { code: 'InvalidValuesForRequestParameters', message: 'keyName' } },
            };
          key.value = this.newValue();
          key.creationTime = this.now();
          this.regenerations++;
        }
        return { status: 200, body: { keys: keys.map((k) => ({ ...k })) } };
      },
    };
  }
}
