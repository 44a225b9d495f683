import { createSign, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { type CloudEnvironment, PUBLIC } from '@microsoft/teams.api';
import Fastify from 'fastify';

/**
 * A local stand-in for Bot Framework's OpenID metadata and signing keys, with a self-made RSA
 * key, so the Teams SDK's real JWT validation runs against tokens the test signs.
 */
export interface BotFrameworkIssuer {
  readonly cloud: CloudEnvironment;
  readonly issuer: string;
  /** Signs a token with the published key (or `key` to forge one). */
  token(claims: Record<string, unknown>, options?: { key?: KeyObject; kid?: string }): string;
  close(): Promise<void>;
}

export async function startBotFrameworkIssuer(): Promise<BotFrameworkIssuer> {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const kid = 'test-key-1';
  const jwk = { ...publicKey.export({ format: 'jwk' }), kid, use: 'sig', alg: 'RS256' };
  const app = Fastify({ logger: false });
  app.get('/v1/.well-known/keys', async () => ({ keys: [jwk] }));
  const base = await app.listen({ host: '127.0.0.1', port: 0 });
  const issuer = PUBLIC.tokenIssuer;
  const cloud: CloudEnvironment = {
    ...PUBLIC,
    openIdMetadataUrl: `${base}/v1/.well-known/openidconfiguration`,
    loginEndpoint: `${base}/login`,
  };
  return {
    cloud,
    issuer,
    token: (claims, options = {}) =>
      signJwt({ iss: issuer, ...claims }, options.key ?? privateKey, options.kid ?? kid),
    close: () => app.close(),
  };
}

function b64url(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}

export function signJwt(claims: Record<string, unknown>, key: KeyObject, kid: string): string {
  const head = `${b64url({ alg: 'RS256', typ: 'JWT', kid })}.${b64url(claims)}`;
  const signature = createSign('RSA-SHA256').update(head).sign(key).toString('base64url');
  return `${head}.${signature}`;
}

export function otherKey(): KeyObject {
  return generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
}
