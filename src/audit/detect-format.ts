/**
 * Which reader an input needs, decided from its first bytes (never from its name):
 * `json` (a `[` array, a `{"records":…}` wrapper, or a pretty-printed object whose first line is
 * a lone `{`) goes to the streaming value splitter; everything else is JSON Lines.
 */
export type InputFormat = 'json-lines' | 'json';

const BOM = [0xef, 0xbb, 0xbf];
const RECORDS_PREFIX = /^\{\s*"records"\s*:/;

/** Length of a leading UTF-8 BOM (0 or 3). */
export function bomLength(buf: Uint8Array): number {
  return buf[0] === BOM[0] && buf[1] === BOM[1] && buf[2] === BOM[2] ? 3 : 0;
}

/**
 * Decide from the first bytes of an input (BOM already removed), or `undefined` when more bytes
 * are needed; with `ended` it always decides.
 */
export function detectFormat(head: Buffer, ended: boolean): InputFormat | undefined {
  let i = 0;
  while (i < head.length && (head[i] === 0x20 || head[i] === 0x0a || head[i] === 0x0d || head[i] === 0x09))
    i++;
  if (i >= head.length) return ended ? 'json-lines' : undefined;
  const first = head[i];
  if (first === 0x5b) return 'json';
  if (first !== 0x7b) return 'json-lines';
  // Enough to see `{ "records" :` even with some whitespace; else the first line decides.
  const window = head.subarray(i, i + 256).toString('latin1');
  if (RECORDS_PREFIX.test(window)) return 'json';
  const nl = head.indexOf(0x0a, i);
  if (nl < 0 && !ended && head.length - i < 256) return undefined;
  if (nl >= 0 && head.subarray(i, nl).toString('latin1').trim() === '{') return 'json';
  return 'json-lines';
}
