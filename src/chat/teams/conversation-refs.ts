import type { Store } from '../../store/store.js';

/** A Teams conversation kv-warden can post into: recorded when the app is installed or used there. */
export interface ConversationRef {
  readonly conversationId: string;
  readonly serviceUrl: string;
  readonly tenantId?: string;
  readonly conversationType?: string;
  readonly teamId?: string;
  readonly name?: string;
  readonly botId?: string;
  /** ISO time of the last time we heard from Teams about it. */
  readonly updatedAt: string;
}

export const CONVERSATIONS = 'conversations';

/** Channel posts and thread replies share the conversation; `;messageid=` names the thread only. */
export function baseConversationId(id: string): string {
  const i = id.indexOf(';messageid=');
  return i === -1 ? id : id.slice(0, i);
}

/** Creates or refreshes the reference (service URLs can move between regions). */
export async function recordConversation(store: Store, ref: ConversationRef): Promise<void> {
  const id = baseConversationId(ref.conversationId);
  const value = { ...ref, conversationId: id };
  const existing = await store.get<ConversationRef>(CONVERSATIONS, id);
  if (!existing) {
    if (await store.create(CONVERSATIONS, id, value)) return;
    return recordConversation(store, ref);
  }
  if (existing.value.serviceUrl === value.serviceUrl && existing.value.tenantId === value.tenantId) return;
  try {
    await store.update(CONVERSATIONS, id, value, existing.version);
  } catch (err) {
    // Another replica recorded it at the same moment; theirs is as fresh as ours.
    if ((err as { code?: string }).code !== 'KVW_CONFLICT') throw err;
  }
}

export async function forgetConversation(store: Store, conversationId: string): Promise<void> {
  await store.delete(CONVERSATIONS, baseConversationId(conversationId));
}

export async function findConversation(
  store: Store,
  conversationId: string,
): Promise<ConversationRef | undefined> {
  return (await store.get<ConversationRef>(CONVERSATIONS, baseConversationId(conversationId)))?.value;
}
