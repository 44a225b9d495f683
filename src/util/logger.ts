import pino, { type DestinationStream, type Logger } from 'pino';

export type { Logger };

/** Keys whose values are never written to a log line, wherever they appear (two levels deep). */
export const REDACTED_KEYS = [
  'value',
  'secret',
  'secretValue',
  'token',
  'botToken',
  'appToken',
  'signingSecret',
  'clientSecret',
  'password',
  'authorization',
  'Authorization',
  'connectionString',
  'accountKey',
  'keys',
  'key1',
  'key2',
  'routingKey',
  'routing_key',
];

const paths = REDACTED_KEYS.flatMap((k) => [k, `*.${k}`, `*.*.${k}`]);

/** The process logger: JSON lines, secrets redacted by key. */
export function createLogger(
  options: { level?: string; destination?: DestinationStream; name?: string } = {},
): Logger {
  return pino(
    {
      name: options.name ?? 'kv-warden',
      level: options.level ?? 'info',
      redact: { paths, censor: '[redacted]' },
      base: undefined,
    },
    options.destination,
  );
}

/** A logger that drops everything (tests that do not look at logs). */
export const silentLogger: Logger = pino({ level: 'silent' });
