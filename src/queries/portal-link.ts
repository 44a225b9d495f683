import { gzipSync } from 'node:zlib';

/** Where the "Open in Log Analytics" link points: the cloud's portal and the workspace's ARM id. */
export interface PortalLinkOptions {
  /** e.g. `https://portal.azure.com` (cloudEndpoints(config.azure).portal). */
  readonly portalUrl: string;
  /** `/subscriptions/…/resourceGroups/…/providers/Microsoft.OperationalInsights/workspaces/…` */
  readonly workspaceResourceId: string;
}

/**
 * The Azure portal's Logs deep link that opens a query in the workspace: the query gzip-compressed,
 * base64-encoded and URL-encoded after `/q/`, and the period after `/timespan/` (ISO 8601 interval).
 */
export function logAnalyticsLink(o: PortalLinkOptions, kql: string, startMs: number, endMs: number): string {
  const q = encodeURIComponent(gzipSync(Buffer.from(kql, 'utf8')).toString('base64'));
  const resource = encodeURIComponent(o.workspaceResourceId);
  const timespan = encodeURIComponent(`${new Date(startMs).toISOString()}/${new Date(endMs).toISOString()}`);
  return `${o.portalUrl.replace(/\/$/, '')}/#blade/Microsoft_Azure_Monitoring_Logs/LogsBlade/resourceId/${resource}/source/LogsBlade.AnalyticsShareLinkToQuery/q/${q}/timespan/${timespan}`;
}
