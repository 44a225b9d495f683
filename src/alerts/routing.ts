import type { SurfaceName } from '../chat/chat-surface.js';
import type { Config } from '../config/load.js';
import type { ChannelConfig } from '../config/schema.js';
import { type Severity, severityRank } from '../detect/rule-ids.js';

/** One place a card goes. */
export interface Route {
  readonly surface: SurfaceName;
  readonly channel: string;
}

/** The console's channel when nothing is configured for it. */
export const DEFAULT_CONSOLE_CHANNEL = 'security';

/**
 * Where an alert of `vault` and `severity` is posted, per surface: the vault's channel
 * (`vaults.<name>.channel.<surface>`), else `chat.default.<surface>`, else (console only) `security`.
 * The `minSeverity` of the channel entry that supplied the channel applies; below it, no card.
 */
export function routeAlert(
  config: Pick<Config, 'vaults' | 'chat'>,
  surfaces: readonly SurfaceName[],
  alert: { readonly vault: string; readonly severity: Severity },
  options: { ignoreMinSeverity?: boolean } = {},
): Route[] {
  const vaultChannel = config.vaults[alert.vault.toLowerCase()]?.channel;
  const out: Route[] = [];
  for (const surface of surfaces) {
    const picked = pick(surface, vaultChannel) ?? pick(surface, config.chat.default);
    const channel = picked?.channel ?? (surface === 'console' ? DEFAULT_CONSOLE_CHANNEL : undefined);
    if (channel === undefined) continue;
    const min = picked?.minSeverity;
    if (!options.ignoreMinSeverity && min !== undefined && severityRank(alert.severity) < severityRank(min))
      continue;
    out.push({ surface, channel });
  }
  return out;
}

/** Where escalation texts go, per surface (`escalation.channel.<surface>`). */
export function escalationRoutes(
  config: Pick<Config, 'escalation'>,
  surfaces: readonly SurfaceName[],
): Route[] {
  const ch = config.escalation.channel;
  const out: Route[] = [];
  for (const surface of surfaces) {
    const channel = ch?.[surface];
    if (channel !== undefined) out.push({ surface, channel });
  }
  return out;
}

function pick(
  surface: SurfaceName,
  entry: ChannelConfig | undefined,
): { channel: string; minSeverity?: Severity } | undefined {
  const channel = entry?.[surface];
  if (channel === undefined) return undefined;
  return entry?.minSeverity === undefined ? { channel } : { channel, minSeverity: entry.minSeverity };
}
