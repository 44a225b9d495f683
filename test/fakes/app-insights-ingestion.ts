import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';
import { selfSignedCert } from './self-signed-cert.js';

/** One telemetry item as Application Insights ingestion ("Breeze") receives it. */
export interface Envelope {
  readonly name: string;
  readonly time: string;
  readonly iKey: string;
  readonly sampleRate?: number;
  readonly tags?: Record<string, string>;
  readonly data: { readonly baseType: string; readonly baseData: Record<string, unknown> };
}

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * A loopback HTTPS fake of the Application Insights ingestion endpoint, `POST {IngestionEndpoint}/v2.1/track`.
 * Like the service it takes a JSON array of envelopes (optionally gzip-encoded), checks each one — instrumentation
 * key of this component, ISO time, a name, `data.baseType` with `baseData` — and answers with
 * `{ itemsReceived, itemsAccepted, errors: [{ index, statusCode, message }] }`: 200 when every item is accepted,
 * 206 for a partial success, 400 when none is. Anything else is 404/405/415.
 */
export class AppInsightsIngestionFake {
  readonly ca = selfSignedCert().cert;
  /** Accepted envelopes, in arrival order. */
  readonly accepted: Envelope[] = [];
  /** Every request body as received (decoded), for canary scans. */
  readonly raw: string[] = [];
  readonly rejected: Array<{ index: number; message: string }> = [];
  private server?: Server;
  private waiters: Array<() => void> = [];

  constructor(readonly instrumentationKey: string) {}

  async start(): Promise<string> {
    const { key, cert } = selfSignedCert();
    const server = createServer({ key, cert }, (req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const answer = (status: number, body: unknown) => {
          res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
        };
        const url = new URL(req.url ?? '/', 'https://fake');
        if (url.pathname !== '/v2.1/track') return answer(404, { error: 'not found' });
        if (req.method !== 'POST') return answer(405, { error: 'method not allowed' });
        if (!/^application\/(x-)?json\b/.test(req.headers['content-type'] ?? ''))
          return answer(415, { error: 'content type must be application/json' });
        let text: string;
        let items: unknown;
        try {
          const body = Buffer.concat(chunks);
          text = (req.headers['content-encoding'] === 'gzip' ? gunzipSync(body) : body).toString('utf8');
          items = JSON.parse(text);
        } catch {
          return answer(400, {
            itemsReceived: 0,
            itemsAccepted: 0,
            errors: [{ index: 0, statusCode: 400, message: 'Invalid JSON' }],
          });
        }
        this.raw.push(text);
        const list = Array.isArray(items) ? items : [items];
        const errors: Array<{ index: number; statusCode: number; message: string }> = [];
        list.forEach((item, index) => {
          const problem = this.check(item);
          if (problem) errors.push({ index, statusCode: 400, message: problem });
          else this.accepted.push(item as Envelope);
        });
        this.rejected.push(...errors.map(({ index, message }) => ({ index, message })));
        const acceptedCount = list.length - errors.length;
        answer(acceptedCount === list.length ? 200 : acceptedCount > 0 ? 206 : 400, {
          itemsReceived: list.length,
          itemsAccepted: acceptedCount,
          errors,
        });
        for (const wake of this.waiters.splice(0)) wake();
      });
    });
    this.server = server;
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return `https://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  }

  /** The connection string of this component, pointing at the fake. */
  connectionString(endpoint: string): string {
    return `InstrumentationKey=${this.instrumentationKey};IngestionEndpoint=${endpoint};LiveEndpoint=${endpoint}`;
  }

  /** Resolves once an accepted envelope satisfies `match` (bounded by the test timeout). */
  async waitFor(match: (e: Envelope) => boolean): Promise<Envelope> {
    for (;;) {
      const found = this.accepted.find(match);
      if (found) return found;
      await new Promise<void>((resolve) => this.waiters.push(resolve));
    }
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  private check(item: unknown): string | undefined {
    const e = item as Partial<Envelope> | null;
    if (!e || typeof e !== 'object') return 'Item is not an object';
    if (typeof e.iKey !== 'string' || !GUID.test(e.iKey)) return 'Invalid instrumentation key';
    if (e.iKey.toLowerCase() !== this.instrumentationKey.toLowerCase())
      return 'Instrumentation key does not belong to this component';
    if (typeof e.name !== 'string' || e.name === '') return 'Field name is required';
    if (typeof e.time !== 'string' || Number.isNaN(Date.parse(e.time))) return 'Field time is not a date';
    if (!e.data || typeof e.data.baseType !== 'string' || typeof e.data.baseData !== 'object')
      return 'Field data.baseType/baseData is required';
    return undefined;
  }
}
