import type { QueryName, QuerySpec } from '../query-spec.js';
import { caller } from './caller.js';
import { changes } from './changes.js';
import { failures } from './failures.js';
import { ips } from './ips.js';
import { newCallers } from './new-callers.js';
import { ops } from './ops.js';
import { who } from './who.js';

/** Every canned query by name. */
export const CATALOG: Readonly<Record<QueryName, QuerySpec>> = {
  who,
  ips,
  failures,
  ops,
  changes,
  'new-callers': newCallers,
  caller,
};
