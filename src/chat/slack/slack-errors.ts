import { UpstreamError } from '../../errors.js';

interface SlackClientError {
  code?: string;
  retryAfter?: number;
  statusCode?: number;
  data?: { error?: string };
}

/**
 * Turns a @slack/web-api error into UpstreamError: 429 carries Retry-After in ms (the outbox waits
 * that long), platform errors such as `invalid_blocks` are permanent, transport and 5xx are transient.
 */
export function toUpstreamError(method: string, err: unknown): UpstreamError {
  const e = (err ?? {}) as SlackClientError;
  if (e.code === 'slack_webapi_rate_limited_error') {
    const seconds = typeof e.retryAfter === 'number' && e.retryAfter >= 0 ? e.retryAfter : 1;
    return new UpstreamError(`Slack ${method} rate limited`, {
      cause: err,
      retryAfterMs: seconds * 1000,
      throttled: true,
    });
  }
  if (e.code === 'slack_webapi_platform_error') {
    const code = e.data?.error ?? 'unknown_error';
    const transient = code === 'internal_error' || code === 'fatal_error' || code === 'service_unavailable';
    return new UpstreamError(`Slack ${method} failed: ${code}`, { cause: err, transient });
  }
  if (e.code === 'slack_webapi_http_error') {
    const status = e.statusCode ?? 0;
    return new UpstreamError(`Slack ${method} HTTP ${status}`, {
      cause: err,
      transient: status >= 500 || status === 0,
    });
  }
  return new UpstreamError(`Slack ${method} unreachable`, { cause: err, transient: true });
}
