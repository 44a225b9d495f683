import { UpstreamError } from '../../errors.js';

interface HttpClientError {
  response?: { status?: number; headers?: Record<string, unknown> };
  code?: string;
}

/** Parses Retry-After (seconds or an HTTP date) into ms; undefined when absent or unreadable. */
export function retryAfterMs(value: unknown, nowMs: number): number | undefined {
  if (typeof value !== 'string' && typeof value !== 'number') return undefined;
  const text = String(value).trim();
  if (/^\d+(\.\d+)?$/.test(text)) return Math.round(Number(text) * 1000);
  const at = Date.parse(text);
  return Number.isNaN(at) ? undefined : Math.max(0, at - nowMs);
}

/** A Bot Framework connector failure as UpstreamError: 429 with Retry-After, 4xx permanent, 5xx transient. */
export function toUpstreamError(operation: string, err: unknown, nowMs: number): UpstreamError {
  const e = (err ?? {}) as HttpClientError;
  const status = e.response?.status;
  if (status === 429) {
    const wait = retryAfterMs(e.response?.headers?.['retry-after'], nowMs);
    return new UpstreamError(`Teams ${operation} throttled`, {
      cause: err,
      throttled: true,
      ...(wait !== undefined && { retryAfterMs: wait }),
    });
  }
  if (status !== undefined) {
    return new UpstreamError(`Teams ${operation} HTTP ${status}`, { cause: err, transient: status >= 500 });
  }
  return new UpstreamError(`Teams ${operation} unreachable`, { cause: err, transient: true });
}
