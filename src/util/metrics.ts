import { Counter, Gauge, Histogram, Registry } from 'prom-client';

/**
 * Prometheus metrics of one kv-warden process. Created once in app.ts and passed to whoever counts;
 * modules that need more register them on `registry`. Label values never carry secrets.
 */
export class Metrics {
  readonly registry = new Registry();
  readonly eventsIngested = new Counter({
    name: 'kvwarden_events_ingested_total',
    help: 'Audit events accepted by the intake pipeline',
    labelNames: ['source'] as const,
    registers: [this.registry],
  });
  readonly duplicateEvents = new Counter({
    name: 'kvwarden_events_duplicate_total',
    help: 'Audit events skipped because their event key was already processed',
    registers: [this.registry],
  });
  readonly malformedRecords = new Counter({
    name: 'kvwarden_malformed_records_total',
    help: 'Audit records that could not be parsed',
    labelNames: ['source'] as const,
    registers: [this.registry],
  });
  readonly alertsByRule = new Counter({
    name: 'kvwarden_alerts_total',
    help: 'Alerts raised, by rule',
    labelNames: ['rule'] as const,
    registers: [this.registry],
  });
  readonly cardsPosted = new Counter({
    name: 'kvwarden_cards_posted_total',
    help: 'Cards posted or updated on chat surfaces',
    labelNames: ['surface', 'kind'] as const,
    registers: [this.registry],
  });
  readonly postFailures = new Counter({
    name: 'kvwarden_post_failures_total',
    help: 'Failed chat deliveries (each is retried)',
    labelNames: ['surface'] as const,
    registers: [this.registry],
  });
  readonly outboxDepth = new Gauge({
    name: 'kvwarden_outbox_depth',
    help: 'Chat deliveries waiting in the outbox',
    registers: [this.registry],
  });
  readonly deliveryLatency = new Histogram({
    name: 'kvwarden_delivery_latency_seconds',
    help: 'From event read to card delivered',
    buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
    registers: [this.registry],
  });
  readonly forwarderLag = new Gauge({
    name: 'kvwarden_forwarder_lag_seconds',
    help: 'Newest blob time minus checkpoint, per vault',
    labelNames: ['vault'] as const,
    registers: [this.registry],
  });
}
