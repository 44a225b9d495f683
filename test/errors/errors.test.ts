import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  ConflictError,
  ERROR_DOCS,
  ErrorCode,
  UnknownUserError,
  UpstreamError,
  userMessageFor,
} from '../../src/errors.js';

describe('errors', () => {
  it('documents every error code in ERROR_DOCS and in the README', () => {
    const readme = readFileSync('README.md', 'utf8');
    for (const code of Object.values(ErrorCode)) {
      expect(ERROR_DOCS[code], code).toMatch(/\w/);
      expect(readme, `README documents ${code}`).toContain(code);
    }
  });

  it('never leaks the message of an unexpected error to chat', () => {
    const msg = userMessageFor(new Error('connection string AccountKey=abc123 rejected'));
    expect(msg).not.toContain('abc123');
    expect(msg).toMatch(/went wrong/);
  });

  it('tells an unmapped user they are not authorised and nothing changed', () => {
    expect(userMessageFor(new UnknownUserError('slack', 'U999'))).toMatch(
      /not authorised.*Nothing was changed/s,
    );
  });

  it('carries Retry-After and marks throttling with its own code', () => {
    const err = new UpstreamError('slack 429', { retryAfterMs: 3000, throttled: true });
    expect(err.code).toBe(ErrorCode.Throttled);
    expect(err.retryAfterMs).toBe(3000);
    expect(new ConflictError('alerts/1').code).toBe(ErrorCode.Conflict);
  });
});
