import { describe, expect, it } from 'vitest';
import { ReplayCache } from '../../src/chat/slack/replay-cache.js';
import { signSlackRequest, verifySlackSignature } from '../../src/chat/slack/verify-slack-request.js';
import { FakeClock } from '../../src/util/clock.js';

const SECRET = '8f742231b10e8888abcd99yyyzzz85a5';
const NOW = Date.parse('2025-06-02T12:00:00Z');
const TS = String(NOW / 1000);
const BODY = Buffer.from('token=x&command=%2Fkv&text=help');

describe('verifySlackSignature', () => {
  it('accepts the signature Slack computes', () => {
    const signature = signSlackRequest(SECRET, Number(TS), BODY);
    expect(
      verifySlackSignature({ signingSecret: SECRET, rawBody: BODY, signature, timestamp: TS, nowMs: NOW }),
    ).toEqual({ ok: true });
  });

  it.each([
    ['missing signature', { signature: undefined }, 'missing signature headers'],
    ['missing timestamp', { timestamp: undefined }, 'missing signature headers'],
    ['non-numeric timestamp', { timestamp: '12a' }, 'malformed timestamp'],
    ['timestamp 5 min + 1 s old', { nowMs: NOW + 301_000 }, 'stale timestamp'],
    ['timestamp 5 min + 1 s ahead', { nowMs: NOW - 301_000 }, 'stale timestamp'],
    ['v1 scheme', { signature: `v1=${'a'.repeat(64)}` }, 'malformed signature'],
    ['truncated hex', { signature: 'v0=abcd' }, 'malformed signature'],
    ['wrong secret', { signature: signSlackRequest('other', Number(TS), BODY) }, 'signature mismatch'],
    ['other timestamp', { timestamp: String(Number(TS) + 1) }, 'signature mismatch'],
    ['altered body', { rawBody: Buffer.from('token=x&command=%2Fkv&text=rotate') }, 'signature mismatch'],
  ])('refuses %s', (_name, override, reason) => {
    const input = {
      signingSecret: SECRET,
      rawBody: BODY,
      signature: signSlackRequest(SECRET, Number(TS), BODY) as string | undefined,
      timestamp: TS as string | undefined,
      nowMs: NOW,
      ...override,
    };
    expect(verifySlackSignature(input)).toEqual({ ok: false, reason });
  });
});

describe('ReplayCache', () => {
  it('refuses a second sighting within the TTL and forgets it afterwards', () => {
    const clock = new FakeClock(NOW);
    const cache = new ReplayCache(clock, 600_000);
    expect(cache.firstSighting('v0=a')).toBe(true);
    expect(cache.firstSighting('v0=a')).toBe(false);
    expect(cache.firstSighting('v0=b')).toBe(true);
    clock.advance(600_001);
    expect(cache.firstSighting('v0=c')).toBe(true);
    expect(cache.size).toBe(1);
    expect(cache.firstSighting('v0=a')).toBe(true);
  });
});
