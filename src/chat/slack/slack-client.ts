import { LogLevel, type Logger as SlackLogger, WebClient, type WebClientOptions } from '@slack/web-api';
import type { Logger } from '../../util/logger.js';

/** Slack settings from the environment (config.env.slack). */
export interface SlackEnv {
  readonly botToken?: string;
  readonly signingSecret?: string;
  readonly appToken?: string;
  /** Web API base ending in `/api/` (GovSlack: `https://slack-gov.com/api/`; tests: a loopback fake). */
  readonly apiUrl?: string;
}

/**
 * WebClient options shared by the surface and Bolt: our API base, no built-in retries and 429s
 * rejected at once, so the outbox alone decides when to try again (it honours Retry-After).
 */
export function slackClientOptions(env: SlackEnv, logger: Logger): WebClientOptions {
  return {
    ...(env.apiUrl && { slackApiUrl: env.apiUrl }),
    retryConfig: { retries: 0 },
    rejectRateLimitedCalls: true,
    timeout: 10_000,
    logger: boltLogger(logger),
  };
}

export function createSlackWebClient(env: SlackEnv, logger: Logger): WebClient {
  return new WebClient(env.botToken, slackClientOptions(env, logger));
}

/** Adapts pino to the @slack/logger interface Bolt and the WebClient expect. */
export function boltLogger(logger: Logger): SlackLogger {
  const child = logger.child({ component: 'slack' });
  let level: LogLevel = LogLevel.WARN;
  const text = (msg: unknown[]) => msg.map((m) => (m instanceof Error ? m.message : String(m))).join(' ');
  return {
    debug: (...msg) => child.debug(text(msg)),
    info: (...msg) => child.info(text(msg)),
    warn: (...msg) => child.warn(text(msg)),
    error: (...msg) => child.error(text(msg)),
    setLevel: (l) => {
      level = l;
    },
    getLevel: () => level,
    setName: () => {},
  };
}
