import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { selfSignedCert } from '../../fakes/self-signed-cert.js';

export interface RecordedQuery {
  readonly workspaceId: string;
  readonly authorization: string;
  readonly prefer?: string;
  readonly body: { query: string; timespan?: string };
}

export type FakeAnswer =
  | { kind: 'tables'; columns: { name: string; type: string }[]; rows: unknown[][] }
  | {
      kind: 'partial';
      columns: { name: string; type: string }[];
      rows: unknown[][];
      code: string;
      message: string;
    }
  | { kind: 'status'; status: number; code: string; message: string; retryAfter?: string };

export interface LogAnalyticsFake {
  readonly endpoint: string;
  readonly ca: string;
  readonly requests: RecordedQuery[];
  /** Answers served in order; the last one repeats. */
  script(...answers: FakeAnswer[]): void;
  close(): Promise<void>;
}

export const FAKE_TOKEN = 'fake-token-for-loopback-tests';

export async function startLogAnalyticsFake(): Promise<LogAnalyticsFake> {
  const { key, cert } = selfSignedCert();
  const requests: RecordedQuery[] = [];
  let answers: FakeAnswer[] = [];
  const server: Server = createServer({ key, cert }, (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const send = (status: number, body: unknown, headers: Record<string, string> = {}) => {
        res.writeHead(status, { 'content-type': 'application/json', ...headers });
        res.end(JSON.stringify(body));
      };
      const m = /^\/v1\/workspaces\/([0-9a-f-]{36})\/query$/.exec(req.url ?? '');
      if (req.method !== 'POST' || !m)
        return send(404, {
          error: { code: 'PathNotFoundError', message: `no route ${req.method} ${req.url}` },
        });
      if (req.headers.authorization !== `Bearer ${FAKE_TOKEN}`)
        return send(401, {
          error: { code: 'AuthorizationRequiredError', message: 'Valid authentication was not provided' },
        });
      let body: RecordedQuery['body'];
      try {
        body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      } catch {
        return send(400, { error: { code: 'BadArgumentError', message: 'body is not JSON' } });
      }
      if (typeof body.query !== 'string' || body.query.length === 0)
        return send(400, { error: { code: 'BadArgumentError', message: 'query is required' } });
      requests.push({
        workspaceId: m[1]!,
        authorization: req.headers.authorization,
        ...(typeof req.headers.prefer === 'string' ? { prefer: req.headers.prefer } : {}),
        body,
      });
      const answer = answers.length > 1 ? answers.shift()! : answers[0];
      if (!answer) return send(500, { error: { code: 'NoScript', message: 'no answer scripted' } });
      if (answer.kind === 'status')
        return send(
          answer.status,
          { error: { code: answer.code, message: answer.message } },
          answer.retryAfter ? { 'retry-after': answer.retryAfter } : {},
        );
      const table = { name: 'PrimaryResult', columns: answer.columns, rows: answer.rows };
      if (answer.kind === 'partial')
        return send(200, { tables: [table], error: { code: answer.code, message: answer.message } });
      return send(200, { tables: [table] });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `https://127.0.0.1:${port}/v1`,
    ca: cert,
    requests,
    script: (...a) => {
      answers = a;
    },
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

/** A static TokenCredential (DefaultAzureCredential would probe the instance metadata service). */
export const staticCredential = {
  scopes: [] as string[],
  async getToken(scopes: string | string[]) {
    staticCredential.scopes.push(...(Array.isArray(scopes) ? scopes : [scopes]));
    return { token: FAKE_TOKEN, expiresOnTimestamp: Date.now() + 3_600_000 };
  },
};
