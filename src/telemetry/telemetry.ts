import type { FastifyInstance } from 'fastify';
import type { Registry } from 'prom-client';
import type { Config } from '../config/load.js';
import type { Logger } from '../util/logger.js';

/**
 * The telemetry export of one `serve` process (OpenTelemetry → Azure Monitor): a span per HTTP request and the
 * Prometheus metrics. What it carries is chosen field by field — method, route, path, status, duration — never
 * headers, query strings or bodies, so tokens and signatures cannot reach it.
 */
export interface Telemetry {
  /** Records one server span per request the server answers. Call before any route is registered. */
  instrument(fastify: FastifyInstance): void;
  /** Exports the registry's counters, gauges and histogram sums/counts; `beforeCollect` refreshes gauges first. */
  observe(registry: Registry, beforeCollect?: () => Promise<void>): void;
  /** Exports what is buffered (spans, a last metrics collection) and stops. */
  shutdown(): Promise<void>;
}

/** Exporter options tests set (the loopback fake's CA, where failed batches are kept). */
export interface ExporterOverrides {
  readonly tlsOptions?: { readonly ca?: string };
  readonly storageDirectory?: string;
  readonly disableOfflineStorage?: boolean;
}

export interface TelemetryDeps {
  readonly logger: Logger;
  /** Loads the exporter module (tests count the loads); default: a dynamic import, so embedded mode never loads it. */
  readonly load?: () => Promise<typeof import('./azure-monitor.js')>;
  readonly exporter?: ExporterOverrides;
}

/**
 * Starts the Azure Monitor export when `telemetry.azureMonitor.enabled` (resolved at load: on by default when
 * APPLICATIONINSIGHTS_CONNECTION_STRING is set outside embedded mode); otherwise loads nothing and returns undefined.
 */
export async function startTelemetry(config: Config, deps: TelemetryDeps): Promise<Telemetry | undefined> {
  const connectionString = config.env.telemetry.connectionString;
  if (!config.telemetry.azureMonitor.enabled || connectionString === undefined) return undefined;
  const { startAzureMonitor } = await (deps.load ?? (() => import('./azure-monitor.js')))();
  return startAzureMonitor({
    connectionString,
    samplingRatio: config.telemetry.azureMonitor.samplingRatio,
    metricsIntervalMs: config.telemetry.azureMonitor.metricsInterval,
    logger: deps.logger,
    ...(deps.exporter ? { exporter: deps.exporter } : {}),
  });
}
