import { UsageError } from '../errors.js';
import type { QueryRequest } from './query-service.js';
import type { QuerySpec } from './query-spec.js';

const PERIOD = /^(today|\d{1,4}[mhdw])$/i;

/**
 * Reads `/kv <name> …` words into a request: `caller` takes the principal first; then an optional vault
 * and an optional period in either order (`today`, `24h`, `7d`); `ip=<address>` narrows to one IP.
 * Values stay raw here: QueryService validates them.
 */
export function chatRequest(spec: QuerySpec, args: readonly string[]): QueryRequest {
  const words = [...args];
  const req: { name: string; caller?: string; vault?: string; since?: string; ip?: string } = {
    name: spec.name,
  };
  if (spec.needs.caller === 'required') {
    const caller = words.shift();
    if (!caller) throw new UsageError(`usage: /kv ${spec.usage}`);
    req.caller = caller;
  }
  for (const word of words) {
    if (/^ip=/i.test(word) && req.ip === undefined) req.ip = word.slice(3);
    else if (PERIOD.test(word) && req.since === undefined) req.since = word;
    else if (req.vault === undefined) req.vault = word;
    else throw new UsageError(`unexpected "${word.slice(0, 40)}"; usage: /kv ${spec.usage}`);
  }
  return req;
}
