import type {
  ServiceBusClient,
  ServiceBusReceiver,
  ServiceBusReceiverOptions,
  ServiceBusSessionReceiver,
  ServiceBusSessionReceiverOptions,
} from '@azure/service-bus';
import type { ServiceBusEntityConfig } from '../../config/schema.js';

/** A configured queue or topic subscription, with the label used in logs, metrics and intake origins. */
export interface EntityRef {
  readonly queue?: string;
  readonly topic?: string;
  readonly subscription?: string;
  readonly sessions: boolean;
  readonly kind: 'audit' | 'event-grid';
  /** `audit-queue` or `topic/subscription`. */
  readonly label: string;
}

export function entityRef(e: ServiceBusEntityConfig): EntityRef {
  if ('queue' in e) return { queue: e.queue, sessions: e.sessions, kind: e.kind, label: e.queue };
  return {
    topic: e.topic,
    subscription: e.subscription,
    sessions: e.sessions,
    kind: e.kind,
    label: `${e.topic}/${e.subscription}`,
  };
}

/** Finds a configured entity by label (`queue` or `topic/subscription`). */
export function findEntity(
  entities: readonly ServiceBusEntityConfig[],
  label: string,
): EntityRef | undefined {
  return entities.map(entityRef).find((e) => e.label.toLowerCase() === label.toLowerCase());
}

export function createReceiverFor(
  client: ServiceBusClient,
  e: EntityRef,
  options: ServiceBusReceiverOptions,
): ServiceBusReceiver {
  return e.queue !== undefined
    ? client.createReceiver(e.queue, options)
    : client.createReceiver(e.topic!, e.subscription!, options);
}

export function acceptNextSessionFor(
  client: ServiceBusClient,
  e: EntityRef,
  options: ServiceBusSessionReceiverOptions,
): Promise<ServiceBusSessionReceiver> {
  return e.queue !== undefined
    ? client.acceptNextSession(e.queue, options)
    : client.acceptNextSession(e.topic!, e.subscription!, options);
}
