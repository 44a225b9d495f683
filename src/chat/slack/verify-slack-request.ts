import { createHmac, timingSafeEqual } from 'node:crypto';

/** Slack refuses nothing older than this; neither do we (api.slack.com/authentication/verifying-requests-from-slack). */
export const MAX_REQUEST_AGE_MS = 5 * 60_000;

export type VerifyResult = { ok: true } | { ok: false; reason: string };

/**
 * Checks `x-slack-signature` = `v0=` HMAC-SHA256(signing secret, `v0:{timestamp}:{raw body}`) in
 * constant time, and that `x-slack-request-timestamp` is within five minutes of now (either way).
 */
export function verifySlackSignature(input: {
  signingSecret: string;
  rawBody: Buffer;
  signature: string | undefined;
  timestamp: string | undefined;
  nowMs: number;
}): VerifyResult {
  const { signature, timestamp } = input;
  if (!signature || !timestamp) return { ok: false, reason: 'missing signature headers' };
  if (!/^\d{1,12}$/.test(timestamp)) return { ok: false, reason: 'malformed timestamp' };
  if (Math.abs(input.nowMs - Number(timestamp) * 1000) > MAX_REQUEST_AGE_MS) {
    return { ok: false, reason: 'stale timestamp' };
  }
  const match = /^v0=([0-9a-f]{64})$/.exec(signature);
  if (!match?.[1]) return { ok: false, reason: 'malformed signature' };
  const expected = createHmac('sha256', input.signingSecret)
    .update(`v0:${timestamp}:`)
    .update(input.rawBody)
    .digest();
  const given = Buffer.from(match[1], 'hex');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
    return { ok: false, reason: 'signature mismatch' };
  }
  return { ok: true };
}

/** Signs a body like Slack does (tests, the benchmark, and `kv-warden doctor` self-checks). */
export function signSlackRequest(
  signingSecret: string,
  timestampSec: number,
  rawBody: string | Buffer,
): string {
  const hmac = createHmac('sha256', signingSecret).update(`v0:${timestampSec}:`).update(rawBody);
  return `v0=${hmac.digest('hex')}`;
}
