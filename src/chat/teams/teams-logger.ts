import type { ILogger, LogLevel } from '@microsoft/teams.common';
import type { Logger } from '../../util/logger.js';

/**
 * Adapts pino to the Teams SDK logger. The SDK logs whole activities and errors at debug/error;
 * arguments are flattened to text (tokens never reach them: the SDK logs no headers).
 */
export function teamsLogger(logger: Logger, name = 'teams'): ILogger {
  const child = logger.child({ component: name });
  const text = (msg: unknown[]) =>
    msg
      .map((m) => (m instanceof Error ? m.message : typeof m === 'string' ? m : safeJson(m)))
      .join(' ')
      .slice(0, 2000);
  const log = (level: LogLevel, msg: unknown[]) => {
    const line = text(msg);
    if (level === 'trace') child.trace(line);
    else child[level](line);
  };
  return {
    debug: (...m) => log('debug', m),
    info: (...m) => log('info', m),
    warn: (...m) => log('warn', m),
    error: (...m) => log('error', m),
    trace: (...m) => log('trace', m),
    log: (level, ...m) => log(level, m),
    child: (childName) => teamsLogger(logger, `${name}/${childName}`),
  };
}

function safeJson(v: unknown): string {
  try {
    return JSON.stringify(v);
  } catch {
    return String(v);
  }
}
