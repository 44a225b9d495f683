import { describe, expect, it } from 'vitest';
import { SeenKeys } from '../../src/detect/seen-keys.js';

describe('SeenKeys', () => {
  it('knows a key for at least one span, then forgets it', () => {
    const seen = new SeenKeys(1000);
    seen.advance(0);
    expect(seen.add('0123456789abcdef0123456789abcdef')).toBe(true);
    expect(seen.add('0123456789ABCDEF0123456789ABCDEF')).toBe(false);
    seen.advance(1000);
    expect(seen.add('0123456789abcdef0123456789abcdef')).toBe(false);
    seen.advance(2000);
    expect(seen.add('0123456789abcdef0123456789abcdef')).toBe(true);
  });

  it('tells apart keys sharing their first digits, and non-hex keys', () => {
    const seen = new SeenKeys(1000);
    expect(seen.add('0123456aaaaaaaaa')).toBe(true);
    expect(seen.add('0123456bbbbbbbbb')).toBe(true);
    expect(seen.add('0123456ccccccccc')).toBe(true);
    expect(seen.add('0123456bbbbbbbbb')).toBe(false);
    expect(seen.add('event-1')).toBe(true);
    expect(seen.add('event-2')).toBe(true);
    expect(seen.add('event-1')).toBe(false);
  });

  it('survives a JSON round trip', () => {
    const seen = new SeenKeys(1000);
    seen.add('fedcba9876543210fedcba9876543210');
    const copy = SeenKeys.fromState(1000, JSON.parse(JSON.stringify(seen.exportState())));
    expect(copy.add('fedcba9876543210fedcba9876543210')).toBe(false);
  });
});
