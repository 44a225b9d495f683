import { CATALOG } from './catalog/index.js';
import { kqlSource } from './kql-source.js';
import { filterOf, type QueryParams, type QuerySpec, type SqlQuery, type TablesMode } from './query-spec.js';

/** The exact KQL sent to Log Analytics (and printed by `--print kql`), ready to paste. */
export function renderKql(spec: QuerySpec, p: QueryParams, mode: TablesMode): string {
  const header = `// kv-warden ${spec.name}: ${spec.summary}`;
  return `${header}\n${kqlSource(mode, filterOf(p, spec.lookbackMs))}\n${spec.kqlBody(p)}`;
}

/** The SQL run on the embedded history, with its bound parameters. */
export function renderSql(spec: QuerySpec, p: QueryParams): SqlQuery {
  return spec.sql(p);
}

/** Human-readable SQL with its parameters listed after it (for `--print sql`); never run as is. */
export function printableSql(q: SqlQuery): string {
  const params = Object.entries(q.params)
    .map(([k, v]) => `--   $${k} = ${typeof v === 'number' ? v : JSON.stringify(v)}`)
    .join('\n');
  return `${q.sql};\n-- parameters (bound, never spliced into the text):\n${params}`;
}

export function specFor(name: string): QuerySpec | undefined {
  return Object.hasOwn(CATALOG, name) ? CATALOG[name as keyof typeof CATALOG] : undefined;
}
