import { UpstreamError } from '../errors.js';

/**
 * Turns an Azure SDK error into an UpstreamError naming the operation, HTTP status and service error code.
 * The SDK error is deliberately NOT kept as `cause`: it carries the request (a setSecret body holds the
 * secret value) and the response (listKeys holds key values), and a logger serialising causes would leak them.
 */
export function upstreamFrom(operation: string, err: unknown): UpstreamError {
  const e = err as {
    statusCode?: unknown;
    code?: unknown;
    name?: unknown;
    response?: { headers?: { get?(n: string): string | undefined } };
  };
  const status = typeof e?.statusCode === 'number' ? e.statusCode : undefined;
  const code = typeof e?.code === 'string' && /^[A-Za-z_.]{1,60}$/.test(e.code) ? e.code : undefined;
  const retryAfter = Number(e?.response?.headers?.get?.('retry-after'));
  const transient = status === undefined || status === 408 || status === 429 || status >= 500;
  return new UpstreamError(
    `${operation} failed${status ? ` with HTTP ${status}` : ''}${code ? ` (${code})` : ''}${status === undefined ? `: ${String(e?.name ?? 'network error')}` : ''}`,
    {
      transient,
      throttled: status === 429,
      ...(Number.isFinite(retryAfter) && retryAfter >= 0 ? { retryAfterMs: retryAfter * 1000 } : {}),
    },
  );
}

export function isNotFound(err: unknown): boolean {
  return (err as { statusCode?: unknown })?.statusCode === 404;
}
