import type { RoleName } from '../../config/schema.js';
import type { AdaptiveCard } from '../chat-surface.js';
import { isReadOnlyVerb, isRefreshVerb } from './card-views.js';

/**
 * Which role lets a person use a card's buttons, by verb prefix (longest first). The feature that owns the
 * verb still authorises every click; this only decides whose Teams client gets the actionable view.
 */
const ROLE_BY_VERB: ReadonlyArray<readonly [prefix: string, role: RoleName]> = [
  ['rotation.request', 'requester'],
  ['rotation.', 'approver'],
  ['alert.', 'responder'],
];

/** Verbs that only show something and are on everyone's view anyway: refreshes and pivot queries. */
function isPassiveVerb(verb: string): boolean {
  return isRefreshVerb(verb) || isReadOnlyVerb(verb);
}

/**
 * The roles whose holders may act on the card (any one suffices): the roles of its Action.Execute verbs,
 * nested Action.ShowCard cards included. A verb no prefix knows falls back to responder or approver.
 * Empty when the card has nothing to act on.
 */
export function rolesToActOn(card: AdaptiveCard): RoleName[] {
  const roles = new Set<RoleName>();
  const visit = (node: unknown): void => {
    if (typeof node !== 'object' || node === null) return;
    if (Array.isArray(node)) {
      for (const item of node) visit(item);
      return;
    }
    const obj = node as Record<string, unknown>;
    if (obj.type === 'Action.Execute' && typeof obj.verb === 'string' && !isPassiveVerb(obj.verb)) {
      const verb = obj.verb;
      const known = ROLE_BY_VERB.find(([prefix]) => verb.startsWith(prefix));
      if (known) roles.add(known[1]);
      else {
        roles.add('responder');
        roles.add('approver');
      }
    }
    for (const [key, value] of Object.entries(obj)) if (key !== 'refresh') visit(value);
  };
  visit([card.body, card.actions]);
  return [...roles];
}
