import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.js';
import { ConfigError } from '../../src/errors.js';

describe('loadConfig', () => {
  it('gives embedded defaults with no file', () => {
    const cfg = loadConfig({ env: {} });
    expect(cfg.embedded).toBe(true);
    expect(cfg.detection.failedBurst).toEqual({ threshold: 10, window: 300_000 });
    expect(cfg.store).toEqual({ duckdb: '.kv-warden/kv-warden.duckdb' });
    expect(Object.isFrozen(cfg.detection)).toBe(true);
  });

  it.each([
    ['detection:\n  failedBurst: { window: 5 minutes }\n', 'detection.failedBurst.window'],
    ['detection:\n  knownNetworks: ["198.51.100.0/33"]\n', 'detection.knownNetworks.0'],
    ['detection:\n  rules: { no-such-rule: { enabled: false } }\n', 'detection.rules.no-such-rule'],
    ['detectoin: {}\n', 'detectoin'],
    ['roles:\n  viewer: [mallory]\n', 'roles.viewer.0'],
    ['vaults:\n  "bad--name": {}\n', 'vaults.bad--name'],
  ])('names the bad key in %j', (text, keyPath) => {
    let error: unknown;
    try {
      loadConfig({ text, env: {} });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).keyPath).toBe(keyPath);
  });

  it('refuses one chat account mapped to two people', () => {
    const text = 'people:\n  alice: { slack: U01ALICE }\n  bob: { slack: U01ALICE }\n';
    expect(() => loadConfig({ text, env: {} })).toThrow(/people\.bob\.slack/);
  });
});

describe('environment interpolation', () => {
  it('fills $NAME placeholders from the environment', () => {
    const cfg = loadConfig({
      text: 'queries:\n  workspaceId: $' + '{WS}\n',
      env: { WS: '11111111-2222-4333-8444-555555555555' },
    });
    expect(cfg.queries.workspaceId).toBe('11111111-2222-4333-8444-555555555555');
  });

  it('names the key whose variable is missing', () => {
    expect(() => loadConfig({ text: 'queries:\n  workspaceId: $' + '{WS}\n', env: {} })).toThrow(
      /queries\.workspaceId: environment variable WS is not set/,
    );
  });
});
