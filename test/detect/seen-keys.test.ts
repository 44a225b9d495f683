import { createHash } from 'node:crypto';
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

  it('keeps every key through table growth, rotation and a checkpoint', () => {
    const keys = Array.from({ length: 30_000 }, (_, i) =>
      createHash('sha256').update(String(i)).digest('hex').slice(0, 32),
    );
    // keys sharing their first 7 digits land on the same slot and must still be told apart
    for (let i = 0; i < 50; i++) keys.push(`0123456${i.toString(16).padStart(8, '0')}${'0'.repeat(17)}`);
    const seen = new SeenKeys(1000);
    seen.advance(0);
    expect(keys.every((k) => seen.add(k))).toBe(true);
    expect(keys.some((k) => seen.add(k))).toBe(false);
    const state = JSON.parse(JSON.stringify(seen.exportState()));
    // the checkpoint keeps its entry format: [first digits, rest | rest[]]
    expect(state.current).toContainEqual([0x0123456, Array.from({ length: 50 }, (_, i) => i)]);
    const copy = SeenKeys.fromState(1000, state);
    expect(keys.some((k) => copy.add(k))).toBe(false);
    copy.advance(0);
    copy.advance(1000);
    expect(keys.some((k) => copy.add(k))).toBe(false);
    copy.advance(2000);
    copy.advance(3000);
    expect(keys.every((k) => copy.add(k))).toBe(true);
  });

  it('survives a JSON round trip', () => {
    const seen = new SeenKeys(1000);
    seen.add('fedcba9876543210fedcba9876543210');
    const copy = SeenKeys.fromState(1000, JSON.parse(JSON.stringify(seen.exportState())));
    expect(copy.add('fedcba9876543210fedcba9876543210')).toBe(false);
  });
});
