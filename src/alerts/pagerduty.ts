import type { Config } from '../config/load.js';
import type { Severity } from '../detect/rule-ids.js';
import { ConfigError, UpstreamError } from '../errors.js';
import type { Alert } from './alert.js';

/**
 * PagerDuty Events API v2 (https://developer.pagerduty.com/docs/events-api-v2/trigger-events/).
 * `dedup_key` is the alert id, so trigger → acknowledge → resolve all act on one PagerDuty incident.
 * The routing key is added only when sending: it is a secret and never enters the outbox or a log.
 */
export type PagerDutyAction = 'trigger' | 'acknowledge' | 'resolve';

export interface PagerDutyEvent {
  readonly event_action: PagerDutyAction;
  readonly dedup_key: string;
  readonly payload?: {
    readonly summary: string;
    readonly source: string;
    readonly severity: 'critical' | 'error' | 'warning' | 'info';
    readonly timestamp?: string;
    readonly component?: string;
    readonly group?: string;
    readonly class?: string;
    readonly custom_details?: Readonly<Record<string, unknown>>;
  };
  readonly client?: string;
}

export interface PagerDutySender {
  send(event: PagerDutyEvent): Promise<void>;
}

/** The part of `fetch` PagerDuty delivery uses; injected so tests run against a loopback fake. */
export type FetchLike = (
  url: string,
  init: { method: string; headers: Record<string, string>; body: string; signal?: AbortSignal },
) => Promise<{ status: number; headers: { get(name: string): string | null }; text(): Promise<string> }>;

const PD_SEVERITY: Record<Severity, 'critical' | 'error' | 'warning' | 'info'> = {
  critical: 'critical',
  high: 'error',
  medium: 'warning',
  low: 'info',
};

/** The Events v2 event for an alert (without routing key). Trigger carries the evidence. */
export function pagerDutyEvent(alert: Alert, action: PagerDutyAction): PagerDutyEvent {
  if (action !== 'trigger') return { event_action: action, dedup_key: alert.id };
  return {
    event_action: 'trigger',
    dedup_key: alert.id,
    client: 'kv-warden',
    payload: {
      summary: `[${alert.rule}] ${alert.summary}`.slice(0, 1024),
      source: alert.vault,
      severity: PD_SEVERITY[alert.severity],
      timestamp: alert.firstSeen,
      component: alert.vault,
      group: 'azure-key-vault',
      class: alert.rule,
      custom_details: {
        alertId: alert.id,
        rule: alert.rule,
        severity: alert.severity,
        vault: alert.vault,
        principal: alert.principal,
        ...(alert.principalUpn !== undefined && { principalUpn: alert.principalUpn }),
        ...(alert.appId !== undefined && { appId: alert.appId }),
        ...(alert.ip !== undefined && { ip: alert.ip }),
        count: alert.count,
        firstSeen: alert.firstSeen,
        lastSeen: alert.lastSeen,
        evidence: alert.evidence,
      },
    },
  };
}

/** Sends events over HTTP; failures become UpstreamError (429 throttled with Retry-After, 4xx not transient). */
export function createPagerDutySender(options: {
  apiUrl: string;
  routingKey: string;
  fetch: FetchLike;
  timeoutMs?: number;
}): PagerDutySender {
  return {
    async send(event) {
      const body = JSON.stringify({ routing_key: options.routingKey, ...event });
      let res: Awaited<ReturnType<FetchLike>>;
      try {
        res = await options.fetch(options.apiUrl, {
          method: 'POST',
          headers: { 'content-type': 'application/json', accept: 'application/json' },
          body,
          signal: AbortSignal.timeout(options.timeoutMs ?? 10_000),
        });
      } catch (err) {
        throw new UpstreamError(`PagerDuty unreachable: ${(err as Error).message}`, { cause: err });
      }
      if (res.status === 202 || res.status === 200) return;
      const detail = (await res.text().catch(() => '')).slice(0, 300);
      if (res.status === 429) {
        const retryAfterMs = parseRetryAfter(res.headers.get('retry-after'));
        throw new UpstreamError(`PagerDuty throttled the ${event.event_action} event (429)`, {
          throttled: true,
          ...(retryAfterMs !== undefined && { retryAfterMs }),
        });
      }
      throw new UpstreamError(
        `PagerDuty refused the ${event.event_action} event (${res.status}): ${detail}`,
        {
          transient: res.status >= 500 || res.status === 408,
        },
      );
    },
  };
}

/**
 * The configured sender, or undefined when `escalation.pagerduty` is absent. A configured PagerDuty
 * whose routing-key variable is unset fails at start, naming the key, instead of at the first escalation.
 */
export function pagerDutyFromConfig(
  config: Pick<Config, 'escalation' | 'env'>,
  fetch: FetchLike,
): PagerDutySender | undefined {
  const pd = config.escalation.pagerduty;
  if (!pd) return undefined;
  const routingKey = config.env.lookup(pd.routingKeyEnv);
  if (routingKey === undefined) {
    throw new ConfigError(
      'escalation.pagerduty.routingKeyEnv',
      `environment variable ${pd.routingKeyEnv} is not set (it must hold the PagerDuty routing key)`,
    );
  }
  return createPagerDutySender({ apiUrl: pd.apiUrl, routingKey, fetch });
}

/** Retry-After in seconds (PagerDuty and chat APIs send seconds). */
export function parseRetryAfter(value: string | null): number | undefined {
  if (value === null || !/^\d+(\.\d+)?$/.test(value.trim())) return undefined;
  return Math.round(Number(value) * 1000);
}
