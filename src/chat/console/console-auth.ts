import { randomBytes, timingSafeEqual } from 'node:crypto';

/** Name of the cookie that carries the console token after the first load. */
export const CONSOLE_COOKIE = 'kvw_console';

/** A fresh random token (256 bits, URL-safe), generated at every start. */
export function newConsoleToken(): string {
  return randomBytes(32).toString('base64url');
}

/** Constant-time comparison: the time taken does not depend on where the strings differ. */
export function tokensMatch(expected: string, given: string | undefined): boolean {
  if (given === undefined) return false;
  const a = Buffer.from(expected, 'utf8');
  const b = Buffer.from(given, 'utf8');
  if (a.length !== b.length) {
    // Compare against itself so a length mismatch costs the same as a content mismatch.
    timingSafeEqual(a, a);
    return false;
  }
  return timingSafeEqual(a, b);
}

/** Reads one cookie from a Cookie header. */
export function readCookie(header: string | undefined, name: string): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    if (part.slice(0, eq).trim() === name) return decodeURIComponent(part.slice(eq + 1).trim());
  }
  return undefined;
}

/** The Set-Cookie value: readable only by the server, sent only by same-site requests. */
export function consoleCookie(token: string): string {
  return `${CONSOLE_COOKIE}=${encodeURIComponent(token)}; HttpOnly; SameSite=Strict; Path=/`;
}

const LOOPBACK_ADDRESSES = new Set(['127.0.0.1', '::1', '::ffff:127.0.0.1']);

/** Whether a socket's remote address is this machine. */
export function isLoopbackAddress(address: string | undefined): boolean {
  if (!address) return false;
  return LOOPBACK_ADDRESSES.has(address) || address.startsWith('127.') || address.startsWith('::ffff:127.');
}

/**
 * Whether a Host header names this machine (defends against DNS rebinding: a page on another site that
 * resolves its own name to 127.0.0.1 still sends its own name as Host).
 */
export function isLoopbackHost(host: string | undefined): boolean {
  if (!host) return false;
  const name = host.startsWith('[') ? host.slice(0, host.indexOf(']') + 1) : host.split(':')[0];
  return name === '127.0.0.1' || name === 'localhost' || name === '[::1]';
}
