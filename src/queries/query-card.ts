import { CARD_COLUMNS } from './card-columns.js';
import { logAnalyticsLink, type PortalLinkOptions } from './portal-link.js';
import type { QueryResult } from './result.js';

/** Rows shown on a chat card; the CLI shows up to the row cap. */
export const CARD_ROWS = 10;
export const DATA_LAG_CAVEAT =
  'Audit logs can be ~10 minutes behind, so the most recent activity may not be in this answer yet.';

/** Audit data is attacker-influenced: no markdown links or control characters reach a card. */
export function cardText(text: string): string {
  return text
    .replace(/[\u0000-\u001f\u007f-\u009f]/g, ' ')
    .replace(/\]\(/g, '] (')
    .replace(/</g, '‹')
    .replace(/>/g, '›')
    .slice(0, 200);
}

const when = (ms: number) => `${new Date(ms).toISOString().slice(0, 16).replace('T', ' ')} UTC`;

export function resultTitle(r: QueryResult): string {
  const subject = r.caller ?? r.vault ?? 'all vaults';
  const scope = [subject, ...(r.caller && r.vault ? [r.vault] : []), ...(r.ip ? [`from ${r.ip}`] : [])];
  return `${r.name} · ${scope.join(' · ')}`;
}

function totalsLine(r: QueryResult, totalColumn: string | undefined): string {
  const rows = `${r.rows.length}${r.truncated ? '+' : ''} row${r.rows.length === 1 ? '' : 's'}`;
  if (!totalColumn) return rows;
  const sum = r.rows.reduce((acc, row) => acc + Number(row[totalColumn] ?? 0), 0);
  return `${rows} · ${sum.toLocaleString('en-US')} ${totalColumn.toLowerCase()}${r.truncated ? ' in the rows shown' : ''}`;
}

/** The view model for cards/query-result.json. */
export function queryCardData(
  r: QueryResult,
  options: { summary: string; totalColumn?: string; portal?: PortalLinkOptions; lookbackMs?: number },
): Record<string, unknown> {
  const columns = CARD_COLUMNS[r.name];
  const shown = r.rows.slice(0, CARD_ROWS);
  const header = { cells: columns.map((c) => ({ text: c.title, weight: 'Bolder' })) };
  const body = shown.map((row) => ({
    cells: columns.map((c) => ({ text: cardText(c.value(row)) || ' ', weight: 'Default' })),
  }));
  const source =
    r.engine === 'log-analytics'
      ? `Log Analytics (${r.tables === 'both' ? 'AzureDiagnostics + AZKVAuditLogs' : r.tables})`
      : 'local history (embedded)';
  const link =
    r.engine === 'log-analytics' && r.kql && options.portal
      ? logAnalyticsLink(options.portal, r.kql, r.range.startMs - (options.lookbackMs ?? 0), r.range.endMs)
      : undefined;
  const warnings = [
    ...r.warnings,
    ...(r.rows.length > CARD_ROWS ? [`The card shows the top ${CARD_ROWS} rows; the CLI shows all.`] : []),
  ];
  return {
    title: cardText(resultTitle(r)),
    description: options.summary,
    facts: [
      { title: 'Period', value: r.range.label },
      { title: 'From', value: when(r.range.startMs) },
      { title: 'To', value: when(r.range.endMs) },
      { title: 'Totals', value: totalsLine(r, options.totalColumn) },
      { title: 'Source', value: source },
    ],
    hasRows: shown.length > 0,
    columns: columns.map((c) => ({ width: c.width })),
    rows: [header, ...body],
    emptyText: 'No matching audit events in this period.',
    hasWarnings: warnings.length > 0,
    warnings: warnings.map((text) => ({ text: cardText(text) })),
    caveat: DATA_LAG_CAVEAT,
    hasLink: link !== undefined,
    linkUrl: link ?? '',
  };
}

/** A plain-text rendering: the fallback of a pivot's private result card (`ActionOutcome.reply.text`). */
export function queryResultText(r: QueryResult): string {
  const columns = CARD_COLUMNS[r.name];
  const rows = r.rows
    .slice(0, CARD_ROWS)
    .map((row) => columns.map((c) => cardText(c.value(row))).join(' | '));
  const lines = [
    `*${cardText(resultTitle(r))}* (${r.range.label}, ${when(r.range.startMs)} → ${when(r.range.endMs)})`,
    rows.length > 0 ? columns.map((c) => c.title).join(' | ') : 'No matching audit events in this period.',
    ...rows,
    ...r.warnings.map(cardText),
    DATA_LAG_CAVEAT,
  ];
  return lines.join('\n');
}
