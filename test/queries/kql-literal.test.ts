import { describe, expect, test } from 'vitest';
import { kqlDatetime, kqlString, UnsafeLiteralError } from '../../src/queries/kql-literal.js';
import { stringLiterals } from './support/kusto.js';

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789@._:+#-';

describe('kqlString', () => {
  test('every character of its alphabet survives the Kusto lexer unchanged, alone and in runs', () => {
    for (const c of ALPHABET) {
      const value = `a${c}${c}b`;
      expect(stringLiterals(`print x = ${kqlString(value)}`)).toEqual([value]);
    }
    expect(stringLiterals(`print x = ${kqlString(ALPHABET)}`)).toEqual([ALPHABET]);
    expect(stringLiterals(`print x = ${kqlString('')}`)).toEqual(['']);
  });

  test('refuses every printable ASCII character outside its alphabet, controls and non-ASCII', () => {
    for (let code = 0; code < 0x300; code++) {
      const c = String.fromCharCode(code);
      if (ALPHABET.includes(c)) continue;
      expect(() => kqlString(`a${c}b`), `U+${code.toString(16)}`).toThrow(UnsafeLiteralError);
    }
    for (const c of ['\u2028', '\u200b', '\uff07', '\u202e', '\ud83d\udd11'])
      expect(() => kqlString(c)).toThrow(UnsafeLiteralError);
  });

  test('refuses very long values', () => {
    expect(() => kqlString('a'.repeat(257))).toThrow(UnsafeLiteralError);
  });
});

test('kqlDatetime renders only finite instants', () => {
  expect(kqlDatetime(Date.parse('2025-06-02T00:00:00Z'))).toBe('datetime(2025-06-02T00:00:00.000Z)');
  expect(() => kqlDatetime(Number.NaN)).toThrow(UnsafeLiteralError);
});
