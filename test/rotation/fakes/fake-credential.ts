import type { AccessToken, GetTokenOptions, TokenCredential } from '@azure/core-auth';

/** A static credential: hands out a fixed token per scope and records the scopes asked for. */
export class FakeCredential implements TokenCredential {
  readonly scopes: string[] = [];
  async getToken(scopes: string | string[], _options?: GetTokenOptions): Promise<AccessToken> {
    const list = Array.isArray(scopes) ? scopes : [scopes];
    this.scopes.push(...list);
    return { token: tokenFor(list[0] ?? ''), expiresOnTimestamp: Date.now() + 3_600_000 };
  }
}

/** The token the fakes expect for a scope. */
export function tokenFor(scope: string): string {
  return `fake-token-for-${scope}`;
}
