/**
 * The only two ways a value enters KQL text.
 *
 * Strings are written as obfuscated single-quoted literals `h'…'` (the `h` keeps UPNs and ids out of
 * Log Analytics' own query logs). KQL ends a single-quoted literal only at an unescaped `'`, and starts an
 * escape only at `\`; a line break inside is a syntax error. `kqlString` therefore refuses — not escapes —
 * any character outside a fixed ASCII set that contains none of `'`, `"`, `\`, control characters,
 * whitespace or non-ASCII. Given that, the literal's body is exactly the input, character for character,
 * and nothing after the opening quote can end the literal early. Callers pass only validated parameters
 * (params.ts), so this check is a second, independent wall. The tests parse every rendered query with the
 * Kusto parser and assert each value came out as one string-literal token equal to the input.
 */
const KQL_SAFE = /^[A-Za-z0-9@._:+#-]*$/;

export class UnsafeLiteralError extends Error {
  constructor() {
    super('refused to embed a value with characters outside the KQL literal alphabet');
    this.name = 'UnsafeLiteralError';
  }
}

export function kqlString(value: string): string {
  if (!KQL_SAFE.test(value) || value.length > 256) throw new UnsafeLiteralError();
  return `h'${value}'`;
}

/** A datetime literal from epoch ms (a number can only render as digits, `-`, `:`, `.`, `T`, `Z`). */
export function kqlDatetime(ms: number): string {
  if (!Number.isFinite(ms)) throw new UnsafeLiteralError();
  return `datetime(${new Date(ms).toISOString()})`;
}

/** An integer literal. */
export function kqlInt(n: number): string {
  if (!Number.isSafeInteger(n)) throw new UnsafeLiteralError();
  return String(n);
}
