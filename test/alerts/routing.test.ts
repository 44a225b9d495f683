import { describe, expect, it } from 'vitest';
import { escalationRoutes, routeAlert } from '../../src/alerts/routing.js';
import { loadConfig } from '../../src/config/load.js';

const config = loadConfig({
  env: {},
  text: `
vaults:
  kv-prod-payments:
    channel: { slack: C0PAY, teams: "19:pay@thread.tacv2", minSeverity: high }
  kv-dev:
    channel: { console: dev-alerts }
chat:
  default: { slack: C0SEC, console: sec-room, minSeverity: medium }
escalation:
  channel: { slack: C0ONCALL }
  mention: "@oncall"
`,
});

describe('alert routing', () => {
  it("uses the vault's channel per surface and falls back to the default channel", () => {
    expect(
      routeAlert(config, ['slack', 'teams', 'console'], { vault: 'kv-prod-payments', severity: 'high' }),
    ).toEqual([
      { surface: 'slack', channel: 'C0PAY' },
      { surface: 'teams', channel: '19:pay@thread.tacv2' },
      { surface: 'console', channel: 'sec-room' },
    ]);
  });

  it('applies the minSeverity of the channel entry that supplied the channel', () => {
    // vault entry (min high) drops slack/teams; the default entry (min medium) keeps console.
    expect(
      routeAlert(config, ['slack', 'teams', 'console'], { vault: 'kv-prod-payments', severity: 'medium' }),
    ).toEqual([{ surface: 'console', channel: 'sec-room' }]);
    expect(routeAlert(config, ['slack', 'console'], { vault: 'kv-other', severity: 'low' })).toEqual([]);
  });

  it('matches vault names case-insensitively', () => {
    expect(routeAlert(config, ['console'], { vault: 'KV-DEV', severity: 'low' })).toEqual([
      { surface: 'console', channel: 'dev-alerts' },
    ]);
  });

  it('skips a surface with no channel configured, except the console which defaults to security', () => {
    const bare = loadConfig({ env: {}, text: '{}' });
    expect(routeAlert(bare, ['slack', 'teams', 'console'], { vault: 'kv-x', severity: 'low' })).toEqual([
      { surface: 'console', channel: 'security' },
    ]);
  });

  it('routes escalations only to surfaces with an escalation channel', () => {
    expect(escalationRoutes(config, ['slack', 'teams', 'console'])).toEqual([
      { surface: 'slack', channel: 'C0ONCALL' },
    ]);
  });
});
