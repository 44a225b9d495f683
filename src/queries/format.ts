import type { Cell, QueryResult } from './result.js';

export type OutputFormat = 'table' | 'json' | 'csv';

/** Renders a result for a terminal or a file. Warnings are not included (the CLI prints them on stderr). */
export function formatResult(result: QueryResult, format: OutputFormat): string {
  switch (format) {
    case 'json':
      return `${JSON.stringify({
        query: result.name,
        engine: result.engine,
        range: {
          start: new Date(result.range.startMs).toISOString(),
          end: new Date(result.range.endMs).toISOString(),
        },
        ...(result.vault ? { vault: result.vault } : {}),
        ...(result.caller ? { caller: result.caller } : {}),
        ...(result.ip ? { ip: result.ip } : {}),
        truncated: result.truncated,
        rows: result.rows,
        warnings: result.warnings,
      })}\n`;
    case 'csv':
      return `${[
        result.columns.map((c) => c.name),
        ...result.rows.map((r) => result.columns.map((c) => r[c.name] ?? '')),
      ]
        .map((cells) => cells.map(csvCell).join(','))
        .join('\r\n')}\r\n`;
    default:
      return formatTable(result);
  }
}

/** RFC 4180 quoting; cells a spreadsheet would run as a formula get a leading apostrophe. */
function csvCell(v: Cell): string {
  let s = String(v);
  if (typeof v === 'string' && /^[=+\-@\t\r]/.test(s)) s = `'${s}`;
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

const MAX_WIDTH = 48;

function formatTable(result: QueryResult): string {
  const header = result.columns.map((c) => c.name);
  const body = result.rows.map((r) => result.columns.map((c) => clip(printable(String(r[c.name] ?? '')))));
  if (body.length === 0) return '(no rows)\n';
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((row) => row[i]!.length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => c.padEnd(widths[i]!))
      .join('  ')
      .trimEnd();
  return `${[line(header), line(widths.map((w) => '-'.repeat(w))), ...body.map(line)].join('\n')}\n`;
}

/** Control characters from data never reach the terminal (no escape-sequence tricks). */
function printable(s: string): string {
  return s.replace(/[\u0000-\u001f\u007f-\u009f]/g, '?');
}

function clip(s: string): string {
  return s.length > MAX_WIDTH ? `${s.slice(0, MAX_WIDTH - 1)}…` : s;
}
