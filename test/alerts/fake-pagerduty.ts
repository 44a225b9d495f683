import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One event PagerDuty accepted. */
export interface AcceptedEvent {
  readonly routing_key: string;
  readonly event_action: 'trigger' | 'acknowledge' | 'resolve';
  readonly dedup_key: string;
  readonly payload?: {
    summary: string;
    source: string;
    severity: string;
    custom_details?: Record<string, unknown>;
    [k: string]: unknown;
  };
}

/**
 * A loopback PagerDuty Events API v2 (`POST /v2/enqueue`) that enforces the documented rules:
 * JSON body, a 32-character routing key, event_action trigger|acknowledge|resolve, dedup_key ≤ 255,
 * and for trigger a payload with summary (≤ 1024), source and severity critical|error|warning|info.
 * Bad events get 400 with `errors`; `throttle(n, seconds)` answers the next n requests 429 + Retry-After.
 */
export class FakePagerDuty {
  readonly accepted: AcceptedEvent[] = [];
  readonly rejected: Array<{ status: number; errors: string[] }> = [];
  requests = 0;
  private throttleLeft = 0;
  private throttleSeconds = 1;
  private server?: Server;
  url = '';

  throttle(count: number, retryAfterSeconds: number): void {
    this.throttleLeft = count;
    this.throttleSeconds = retryAfterSeconds;
  }

  async start(): Promise<this> {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        this.requests++;
        const send = (status: number, body: unknown, headers: Record<string, string> = {}) => {
          res.writeHead(status, { 'content-type': 'application/json', ...headers });
          res.end(JSON.stringify(body));
        };
        if (req.method !== 'POST' || req.url !== '/v2/enqueue') return send(404, { status: 'not found' });
        if (this.throttleLeft > 0) {
          this.throttleLeft--;
          return send(
            429,
            { status: 'throttle event', message: 'Requests for this service are arriving too quickly.' },
            {
              'retry-after': String(this.throttleSeconds),
            },
          );
        }
        let body: unknown;
        try {
          body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
        } catch {
          this.rejected.push({ status: 400, errors: ['invalid JSON'] });
          return send(400, {
            status: 'invalid event',
            message: 'Event object is invalid',
            errors: ['invalid JSON'],
          });
        }
        const errors = validate(body, String(req.headers['content-type'] ?? ''));
        if (errors.length > 0) {
          this.rejected.push({ status: 400, errors });
          return send(400, { status: 'invalid event', message: 'Event object is invalid', errors });
        }
        const ev = body as AcceptedEvent;
        this.accepted.push(ev);
        send(202, { status: 'success', message: 'Event processed', dedup_key: ev.dedup_key });
      });
    });
    await new Promise<void>((resolve) => this.server?.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/v2/enqueue`;
    return this;
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => this.server?.close(() => resolve()));
  }
}

function validate(body: unknown, contentType: string): string[] {
  const errors: string[] = [];
  if (!contentType.startsWith('application/json')) errors.push('Content-Type must be application/json');
  const b = body as Record<string, unknown> | null;
  if (typeof b !== 'object' || b === null) return ['body must be an object'];
  if (typeof b.routing_key !== 'string' || b.routing_key.length !== 32)
    errors.push('routing_key must be 32 characters');
  if (!['trigger', 'acknowledge', 'resolve'].includes(String(b.event_action)))
    errors.push('event_action is invalid');
  if (b.dedup_key !== undefined && (typeof b.dedup_key !== 'string' || b.dedup_key.length > 255)) {
    errors.push('dedup_key must be a string of at most 255 characters');
  }
  if (b.event_action !== 'trigger' && typeof b.dedup_key !== 'string') errors.push('dedup_key is required');
  if (b.event_action === 'trigger') {
    const p = b.payload as Record<string, unknown> | undefined;
    if (typeof p !== 'object' || p === null) errors.push('payload is required');
    else {
      if (typeof p.summary !== 'string' || p.summary === '' || p.summary.length > 1024)
        errors.push('payload.summary is invalid');
      if (typeof p.source !== 'string' || p.source === '') errors.push('payload.source is required');
      if (!['critical', 'error', 'warning', 'info'].includes(String(p.severity)))
        errors.push('payload.severity is invalid');
      if (
        p.custom_details !== undefined &&
        (typeof p.custom_details !== 'object' || p.custom_details === null)
      ) {
        errors.push('payload.custom_details must be an object');
      }
    }
  }
  return errors;
}
