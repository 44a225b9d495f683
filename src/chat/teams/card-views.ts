import type { AdaptiveCard } from '../chat-surface.js';

/** The verb Teams sends when a card refreshes itself for a user (Universal Actions `refresh`). */
export const REFRESH_VERB = 'kvw.refresh';
/** Teams refreshes user-specific views automatically for at most 60 users. */
export const MAX_REFRESH_USERS = 60;

/**
 * The card everyone sees: the same content without Action.ShowCard and the Action.Execute buttons
 * that change something, so people who may not act see no such buttons. Responders get the
 * actionable card through `refresh`. Read-only buttons (links, pivot queries) stay for everyone:
 * each click is authorised for the person who clicks and answered to them alone.
 */
export function readOnlyView(card: AdaptiveCard): AdaptiveCard {
  const strip = (items: readonly unknown[] | undefined): unknown[] | undefined =>
    items
      ?.map((raw) => {
        const el = raw as Record<string, unknown>;
        if (el?.type === 'ActionSet') {
          const actions = keepPassive(el.actions as unknown[] | undefined);
          return actions.length > 0 ? { ...el, actions } : undefined;
        }
        if (Array.isArray(el?.items)) return { ...el, items: strip(el.items as unknown[]) };
        if (Array.isArray(el?.columns)) return { ...el, columns: strip(el.columns as unknown[]) };
        return el;
      })
      .filter((el) => el !== undefined);
  const { refresh: _refresh, ...rest } = card;
  return {
    ...rest,
    body: strip(card.body) ?? [],
    actions: keepPassive(card.actions as unknown[] | undefined),
  };
}

function keepPassive(actions: readonly unknown[] | undefined): unknown[] {
  return (actions ?? []).filter((raw) => {
    const a = raw as { type?: unknown; verb?: unknown } | null;
    if (a?.type === 'Action.OpenUrl') return true;
    return a?.type === 'Action.Execute' && typeof a.verb === 'string' && isReadOnlyVerb(a.verb);
  });
}

/**
 * Whether an Action.Execute verb only reads and answers the clicker alone: `query.*` (pivot
 * queries, which check the viewer role per click). Such buttons change nothing anyone else sees.
 */
export function isReadOnlyVerb(verb: string): boolean {
  return verb.startsWith('query.');
}

/**
 * The card the clicker's Teams client shows in place of the one they clicked (an invoke response is
 * shown only to the client that asked): the private answer, plus a button back to the card, served
 * from the last posted version (`kvw.refresh`).
 */
export function privateReplyView(reply: AdaptiveCard, canGoBack: boolean): AdaptiveCard {
  const back = { type: 'Action.Execute', title: 'Back to the card', verb: REFRESH_VERB, data: {} };
  const { refresh: _refresh, ...rest } = reply;
  return {
    ...rest,
    version: versionAtLeast15(reply.version),
    actions: [...(reply.actions ?? []), ...(canGoBack ? [back] : [])],
  };
}

/**
 * Sets the Universal Actions `refresh` so the listed users' clients ask us for their own view.
 * A card that brings its own refresh action (e.g. `alert.refresh` with the alert id) keeps it;
 * otherwise `kvw.refresh` is added and served from the last card posted in that message.
 */
export function withRefresh(card: AdaptiveCard, userIds: readonly string[]): AdaptiveCard {
  const own = (card.refresh as { action?: { type?: string; verb?: unknown } } | undefined)?.action;
  const action =
    own?.type === 'Action.Execute' && typeof own.verb === 'string' && own.verb !== ''
      ? own
      : { type: 'Action.Execute', title: 'Refresh', verb: REFRESH_VERB, data: {} };
  return {
    ...card,
    version: versionAtLeast15(card.version),
    refresh: { action, userIds: userIds.slice(0, MAX_REFRESH_USERS) },
  };
}

/** Whether an Action.Execute verb only asks for the current card (a refresh), changing nothing. */
export function isRefreshVerb(verb: string): boolean {
  return verb === REFRESH_VERB || verb.endsWith('.refresh');
}

function versionAtLeast15(version: string): string {
  const [major = 1, minor = 0] = version.split('.').map(Number);
  return major > 1 || (major === 1 && minor >= 5) ? version : '1.5';
}

/** The vault a card is about, read from its Action.Execute data (used for per-vault roles). */
export function vaultOf(card: AdaptiveCard): string | undefined {
  let found: string | undefined;
  const visit = (node: unknown): void => {
    if (found || typeof node !== 'object' || node === null) return;
    if (Array.isArray(node)) {
      for (const item of node) visit(item);
      return;
    }
    const obj = node as Record<string, unknown>;
    const data = obj.data as Record<string, unknown> | undefined;
    if (obj.type === 'Action.Execute' && typeof data?.vault === 'string') {
      found = data.vault;
      return;
    }
    for (const v of Object.values(obj)) visit(v);
  };
  visit([card.body, card.actions]);
  return found;
}
