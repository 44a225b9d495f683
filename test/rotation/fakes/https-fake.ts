import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { selfSignedCert } from '../../fakes/self-signed-cert.js';

export interface FakeRequest {
  readonly method: string;
  readonly path: string;
  readonly query: URLSearchParams;
  readonly headers: IncomingMessage['headers'];
  readonly body: unknown;
  /** Raw body text (kept only by the fake; tests scan it for canaries in outbound requests if they want). */
  readonly raw: string;
}

export interface FakeResponse {
  readonly status: number;
  readonly body?: unknown;
  readonly headers?: Record<string, string>;
}

/** Injected failures: the next `times` requests matching `op` get `status` (with optional Retry-After). */
export interface Failure {
  op: string;
  status: number;
  times: number;
  retryAfterSeconds?: number;
  code?: string;
}

/** A loopback HTTPS server with a certificate from `selfSignedCert()`; `handle` is the service logic. */
export class HttpsFake {
  private server?: Server;
  readonly failures: Failure[] = [];
  readonly requests: FakeRequest[] = [];
  readonly ca = selfSignedCert().cert;

  constructor(
    private readonly handle: (req: FakeRequest) => FakeResponse | { op: string; run: () => FakeResponse },
  ) {}

  failNext(
    op: string,
    status: number,
    times = 1,
    extra: { retryAfterSeconds?: number; code?: string } = {},
  ): void {
    this.failures.push({ op, status, times, ...extra });
  }

  async start(): Promise<string> {
    const { key, cert } = selfSignedCert();
    const server = createServer({ key, cert }, (req, res) => void this.serve(req, res));
    this.server = server;
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => this.server?.close(() => resolve()));
  }

  private async serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const raw = Buffer.concat(chunks).toString('utf8');
    const url = new URL(req.url ?? '/', 'https://fake');
    let body: unknown;
    try {
      body = raw ? JSON.parse(raw) : undefined;
    } catch {
      body = undefined;
    }
    const request: FakeRequest = {
      method: req.method ?? 'GET',
      path: url.pathname,
      query: url.searchParams,
      headers: req.headers,
      body,
      raw,
    };
    this.requests.push(request);
    let out: FakeResponse;
    const handled = this.handle(request);
    if ('run' in handled) {
      const failure = this.failures.find((f) => f.op === handled.op && f.times > 0);
      if (failure) {
        failure.times--;
        out = {
          status: failure.status,
          body: {
            error: {
              code: failure.code ?? (failure.status === 429 ? 'TooManyRequests' : 'InternalError'),
              message: `injected ${failure.status}`,
            },
          },
          headers:
            failure.retryAfterSeconds === undefined
              ? {}
              : { 'retry-after': String(failure.retryAfterSeconds) },
        };
      } else {
        out = handled.run();
      }
    } else {
      out = handled;
    }
    const text = out.body === undefined ? '' : JSON.stringify(out.body);
    res.writeHead(out.status, {
      'content-type': 'application/json; charset=utf-8',
      'x-ms-request-id': 'fake',
      ...out.headers,
    });
    res.end(text);
  }
}
