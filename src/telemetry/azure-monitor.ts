import { hostname } from 'node:os';
import {
  ApplicationInsightsSampler,
  AzureMonitorMetricExporter,
  AzureMonitorTraceExporter,
} from '@azure/monitor-opentelemetry-exporter';
import {
  type Attributes,
  DiagLogLevel,
  diag,
  type ObservableCounter,
  type ObservableGauge,
  type Span,
  SpanKind,
  SpanStatusCode,
} from '@opentelemetry/api';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { MeterProvider, PeriodicExportingMetricReader } from '@opentelemetry/sdk-metrics';
import { BasicTracerProvider, BatchSpanProcessor } from '@opentelemetry/sdk-trace-base';
import type { FastifyRequest } from 'fastify';
import type { Registry } from 'prom-client';
import type { Logger } from '../util/logger.js';
import type { ExporterOverrides, Telemetry } from './telemetry.js';

export interface AzureMonitorOptions {
  readonly connectionString: string;
  readonly samplingRatio: number;
  readonly metricsIntervalMs: number;
  readonly logger: Logger;
  readonly exporter?: ExporterOverrides;
}

/**
 * Traces and metrics to Application Insights through the Azure Monitor OpenTelemetry exporter. Nothing is
 * registered globally (no auto-instrumentation, no module patching): request spans come from Fastify hooks and
 * metrics from the Prometheus registry, so only the fields chosen here leave the process.
 */
export function startAzureMonitor(options: AzureMonitorOptions): Telemetry {
  // The exporter would also send its own usage statistics ("statsbeat") to a Microsoft endpoint that is not
  // the one in the connection string; kv-warden talks only to the configured ingestion endpoint. The exporter
  // reads this switch from the environment alone.
  process.env.APPLICATION_INSIGHTS_NO_STATSBEAT ??= 'true';
  routeDiagnostics(options.logger);

  const exporterOptions = { connectionString: options.connectionString, ...options.exporter };
  const resource = resourceFromAttributes({
    'service.name': 'kv-warden',
    'service.instance.id': hostname(),
  });
  const tracerProvider = new BasicTracerProvider({
    resource,
    sampler: new ApplicationInsightsSampler(options.samplingRatio),
    spanProcessors: [new BatchSpanProcessor(new AzureMonitorTraceExporter(exporterOptions))],
  });
  const meterProvider = new MeterProvider({
    resource,
    readers: [
      new PeriodicExportingMetricReader({
        exporter: new AzureMonitorMetricExporter(exporterOptions),
        exportIntervalMillis: options.metricsIntervalMs,
        exportTimeoutMillis: Math.min(30_000, options.metricsIntervalMs),
      }),
    ],
  });
  const tracer = tracerProvider.getTracer('kv-warden');
  let stopped: Promise<void> | undefined;

  return {
    instrument(fastify) {
      const spans = new WeakMap<FastifyRequest, Span>();
      fastify.addHook('onRequest', async (request) => {
        const path = request.url.split('?')[0] ?? '/';
        const route = request.routeOptions.url;
        spans.set(
          request,
          tracer.startSpan(route ? `${request.method} ${route}` : request.method, {
            kind: SpanKind.SERVER,
            attributes: {
              'http.request.method': request.method,
              'url.scheme': request.protocol,
              'url.path': path,
              // Scheme, host and path only: a query string can carry a token (the console link does).
              'url.full': `${request.protocol}://${request.host}${path}`,
              'server.address': request.hostname,
              ...(route ? { 'http.route': route } : {}),
            },
          }),
        );
      });
      const end = (request: FastifyRequest, status: number | undefined) => {
        const span = spans.get(request);
        if (!span) return;
        spans.delete(request);
        if (status !== undefined) span.setAttribute('http.response.status_code', status);
        if (status === undefined || status >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
        span.end();
      };
      fastify.addHook('onResponse', async (request, reply) => end(request, reply.statusCode));
      fastify.addHook('onRequestAbort', async (request) => end(request, undefined));
    },

    observe(registry, beforeCollect) {
      bridgeMetrics(meterProvider, registry, beforeCollect, options.logger);
    },

    shutdown() {
      stopped ??= (async () => {
        const results = await Promise.allSettled([tracerProvider.shutdown(), meterProvider.shutdown()]);
        for (const r of results)
          if (r.status === 'rejected') options.logger.warn({ err: r.reason }, 'telemetry flush failed');
      })();
      return stopped;
    },
  };
}

type Instrument = ObservableCounter | ObservableGauge;

/**
 * Observes every Prometheus metric at each export: counters as cumulative counters (exported as deltas),
 * gauges as gauges, histograms as their `_sum` and `_count` counters (buckets stay on /metrics).
 */
function bridgeMetrics(
  meterProvider: MeterProvider,
  registry: Registry,
  beforeCollect: (() => Promise<void>) | undefined,
  logger: Logger,
): void {
  const meter = meterProvider.getMeter('kv-warden');
  const instruments = new Map<string, Instrument>();
  for (const metric of registry.getMetricsAsArray()) {
    const { name, help, type } = metric as unknown as { name: string; help: string; type: string };
    if (type === 'counter') instruments.set(name, meter.createObservableCounter(name, { description: help }));
    else if (type === 'gauge')
      instruments.set(name, meter.createObservableGauge(name, { description: help }));
    else if (type === 'histogram') {
      for (const part of ['sum', 'count'])
        instruments.set(
          `${name}_${part}`,
          meter.createObservableCounter(`${name}_${part}`, { description: `${help} (${part})` }),
        );
    }
  }
  meter.addBatchObservableCallback(
    async (result) => {
      try {
        await beforeCollect?.();
      } catch (err) {
        logger.warn({ err }, 'telemetry: refreshing gauges before export failed');
      }
      for (const metric of await registry.getMetricsAsJSON()) {
        for (const value of metric.values) {
          const name = (value as { metricName?: string }).metricName ?? metric.name;
          const instrument = instruments.get(name);
          if (instrument) result.observe(instrument, value.value, value.labels as Attributes);
        }
      }
    },
    [...instruments.values()],
  );
}

/** The exporter reports failed exports through OpenTelemetry's diagnostic logger: send warnings to ours. */
function routeDiagnostics(logger: Logger): void {
  const log =
    (level: 'warn' | 'error') =>
    (message: string): void =>
      logger[level]({ component: 'telemetry' }, message.split('\n')[0]!.slice(0, 300));
  const quiet = (): void => undefined;
  diag.setLogger(
    { error: log('error'), warn: log('warn'), info: quiet, debug: quiet, verbose: quiet },
    { logLevel: DiagLogLevel.WARN, suppressOverrideMessage: true },
  );
}
