/**
 * The ChatSurface port. Teams, Slack and the local console implement it; the domain never knows
 * which one it talks to. Cards are Adaptive Card JSON (the one visual definition, cards/); each
 * surface renders them its own way (Slack maps them to Block Kit).
 */

export type SurfaceName = 'console' | 'slack' | 'teams';

/** An Adaptive Card (schema 1.5) as plain JSON. */
export interface AdaptiveCard {
  readonly type: 'AdaptiveCard';
  readonly version: string;
  readonly body: readonly unknown[];
  readonly actions?: readonly unknown[];
  readonly [key: string]: unknown;
}

export interface CardMessage {
  readonly card: AdaptiveCard;
  /** Plain-text fallback / notification text. Never contains secret values. */
  readonly text: string;
}

/** Where a card was posted, stored so later changes edit the same message. */
export interface CardLocation {
  readonly surface: SurfaceName;
  readonly channel: string;
  readonly messageId: string;
}

export interface ChatSurface {
  readonly name: SurfaceName;
  /** Posts a new card; throws UpstreamError (with retryAfterMs on 429) when the chat service fails. */
  postCard(channel: string, message: CardMessage): Promise<CardLocation>;
  /** Replaces a posted card in place, for everyone. */
  updateCard(location: CardLocation, message: CardMessage): Promise<void>;
  /** Posts a plain text message (escalation mentions, rotation notices). */
  postText(channel: string, text: string): Promise<void>;
  start?(): Promise<void>;
  stop?(): Promise<void>;
}

/** Optional ability: a reply only the clicking user sees. */
export interface SupportsEphemeral {
  replyEphemeral(channel: string, userId: string, text: string): Promise<void>;
}

/** Optional ability: a direct message to a user. */
export interface SupportsDirectMessage {
  sendDirect(userId: string, text: string): Promise<void>;
}

export function supportsEphemeral(s: ChatSurface): s is ChatSurface & SupportsEphemeral {
  return typeof (s as Partial<SupportsEphemeral>).replyEphemeral === 'function';
}

export function supportsDirectMessage(s: ChatSurface): s is ChatSurface & SupportsDirectMessage {
  return typeof (s as Partial<SupportsDirectMessage>).sendDirect === 'function';
}

/** Who clicked or typed, as the chat service says. Resolved to a person through `people`. */
export interface ChatActor {
  readonly surface: SurfaceName;
  /** Slack user id, Teams AAD object id, or the console's selected person. */
  readonly userId: string;
  readonly displayName?: string;
}

/** A button press: the Action.Execute verb and its data. */
export interface InboundAction {
  readonly verb: string;
  readonly data: Readonly<Record<string, unknown>>;
  /** Comment / classification typed into the card's inputs. */
  readonly inputs?: Readonly<Record<string, string>>;
}

export interface ActionOutcome {
  /** The card to show now (the refreshed current state), also to the loser of a race. */
  readonly card?: CardMessage;
  /** A message only the actor should see (refusals, "someone else acted first"). */
  readonly notice?: string;
  /**
   * A card only the actor should see, next to the card they clicked, which stays as it is for
   * everyone (a pivot query's result). Console: shown on the clicking page; Slack: an ephemeral
   * response; Teams: the invoke response, which only the clicker's client shows. A surface that
   * cannot show a private card shows `text` privately instead.
   */
  readonly reply?: CardMessage;
}

export interface CommandReply {
  readonly text?: string;
  readonly card?: CardMessage;
  /** Only the person who typed the command should see it. */
  readonly ephemeral?: boolean;
}

/** What surfaces call with inbound clicks and commands. Implemented by the app (composition root). */
export interface ChatHandler {
  handleAction(actor: ChatActor, action: InboundAction): Promise<ActionOutcome>;
  handleCommand(actor: ChatActor, text: string): Promise<CommandReply>;
}
