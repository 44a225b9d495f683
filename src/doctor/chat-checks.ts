import type { Config } from '../config/load.js';
import type { DoctorCheck } from './check.js';

/** Slack and Teams settings: complete pairs, and Slack's auth.test when a token is set. */
export function chatChecks(config: Config): DoctorCheck[] {
  const checks: DoctorCheck[] = [];
  const slack = config.env.slack;
  if (slack.botToken || slack.signingSecret || slack.appToken) {
    checks.push({
      name: 'chat: Slack',
      async run() {
        if (!slack.botToken) return { ok: false, problem: 'SLACK_BOT_TOKEN is not set' };
        if (!slack.signingSecret && !slack.appToken) {
          return {
            ok: false,
            problem: 'set SLACK_SIGNING_SECRET (HTTP mode) or SLACK_APP_TOKEN (Socket Mode)',
          };
        }
        const { WebClient } = await import('@slack/web-api');
        const client = new WebClient(slack.botToken, {
          ...(slack.apiUrl ? { slackApiUrl: slack.apiUrl } : {}),
          retryConfig: { retries: 0 },
        });
        const auth = await client.auth.test();
        return { ok: true, detail: `token valid for team ${auth.team ?? '?'} as ${auth.user ?? '?'}` };
      },
    });
  }
  const teams = config.env.teams;
  if (teams.clientId || teams.clientSecret) {
    checks.push({
      name: 'chat: Teams',
      async run() {
        if (!teams.clientId) return { ok: false, problem: 'CLIENT_SECRET is set but CLIENT_ID is not' };
        if (!teams.clientSecret) return { ok: false, problem: 'CLIENT_ID is set but CLIENT_SECRET is not' };
        if (!config.server.publicUrl) {
          return {
            ok: false,
            problem: 'server.publicUrl is not set',
            fix: 'the Teams manifest needs the public https URL',
          };
        }
        return { ok: true, detail: `bot ${teams.clientId}; tokens validated on /api/messages` };
      },
    });
  }
  if (config.teams.allowUnauthenticatedLocalDev) {
    checks.push({
      name: 'chat: Teams authentication',
      async run() {
        return {
          ok: false,
          problem: 'teams.allowUnauthenticatedLocalDev is true',
          fix: 'local development only; remove it before deploying',
        };
      },
    });
  }
  return checks;
}
