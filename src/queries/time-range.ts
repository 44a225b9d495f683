import type { Clock } from '../util/clock.js';

const DAY_MS = 86_400_000;
const HOUR_MS = 3_600_000;

/** A half-open period [startMs, endMs) in epoch milliseconds, with the words the user gave. */
export interface TimeRange {
  readonly startMs: number;
  readonly endMs: number;
  /** `today`, `24h`, … as given (normalized), for cards and messages. */
  readonly label: string;
}

/** Resolves a parsed `since` against the clock: `today` is since UTC midnight, a duration looks back from now. */
export function resolveRange(since: number | 'today', clock: Clock): TimeRange {
  const endMs = clock.now();
  if (since === 'today') return { startMs: Math.floor(endMs / DAY_MS) * DAY_MS, endMs, label: 'today (UTC)' };
  return { startMs: endMs - since, endMs, label: `last ${formatLookback(since)}` };
}

function formatLookback(ms: number): string {
  if (ms % DAY_MS === 0) return `${ms / DAY_MS}d`;
  if (ms % HOUR_MS === 0) return `${ms / HOUR_MS}h`;
  return `${Math.round(ms / 60_000)}m`;
}

export function isoOf(ms: number): string {
  return new Date(ms).toISOString();
}
