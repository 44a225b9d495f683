import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createApp } from '../../src/app.js';
import { loadConfig } from '../../src/config/load.js';
import { ConfigError } from '../../src/errors.js';
import { silentLogger } from '../../src/util/logger.js';
import { AppInsightsIngestionFake, type Envelope } from '../fakes/app-insights-ingestion.js';

const IKEY = '1b2c3d4e-5f60-4a71-8b82-93a4b5c6d7e8';
const CANARY = 'CANARY-TELEMETRY-7f3a9c';

let dir: string;
let fake: AppInsightsIngestionFake;
let endpoint: string;
beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'kvw-otel-'));
  fake = new AppInsightsIngestionFake(IKEY);
  endpoint = await fake.start();
});
afterEach(async () => {
  await fake.stop();
  await rm(dir, { recursive: true, force: true });
});

function config(extra: string, env: NodeJS.ProcessEnv) {
  return loadConfig({
    text: `store: { duckdb: ${JSON.stringify(path.join(dir, 'kv.duckdb'))} }\nserver: { port: 0 }\n${extra}`,
    env,
  });
}

const realLoader = () => import('../../src/telemetry/azure-monitor.js');

describe('telemetry export to Azure Monitor', () => {
  it('sends a request span per HTTP request and the metrics to the ingestion endpoint, with no secret in them', async () => {
    const env = { APPLICATIONINSIGHTS_CONNECTION_STRING: fake.connectionString(endpoint) };
    let loads = 0;
    const app = await createApp(
      config('telemetry: { azureMonitor: { enabled: true, metricsInterval: 1h } }', env),
      {
        logger: silentLogger,
        cwd: dir,
        consoleToken: CANARY,
        telemetry: {
          load: () => {
            loads++;
            return realLoader();
          },
          exporter: { tlsOptions: { ca: fake.ca }, disableOfflineStorage: true },
        },
      },
    );
    await app.start();
    // Secrets where a careless exporter would pick them up: query string, Authorization, Cookie, body.
    const health = await fetch(`${app.url}/healthz?token=${CANARY}`, {
      headers: { authorization: `Bearer ${CANARY}`, cookie: `kvw_console=${CANARY}` },
    });
    expect(health.status).toBe(200);
    const command = await fetch(`${app.url}/console/command`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${CANARY}` },
      body: JSON.stringify({ text: `/kv who ${CANARY}`, user: CANARY }),
    });
    app.context.metrics.eventsIngested.inc({ source: 'folder' }, 3);
    app.context.metrics.deliveryLatency.observe(0.25);
    await app.stop(); // flushes spans and a last metrics collection

    expect(loads).toBe(1);
    expect(fake.rejected).toEqual([]);
    const request = (e: Envelope, name: string) =>
      e.data.baseType === 'RequestData' && e.data.baseData.name === name;
    const healthSpan = await fake.waitFor((e) => request(e, 'GET /healthz'));
    expect(healthSpan.name).toBe('Microsoft.ApplicationInsights.Request');
    expect(healthSpan.data.baseData).toMatchObject({
      responseCode: '200',
      success: true,
      url: `${app.url}/healthz`,
    });
    expect(healthSpan.tags?.['ai.cloud.role']).toBe('kv-warden');
    const commandSpan = await fake.waitFor((e) => request(e, 'POST /console/command'));
    expect(commandSpan.data.baseData).toMatchObject({ responseCode: String(command.status) });

    const metric = (name: string) =>
      fake.accepted
        .filter((e) => e.data.baseType === 'MetricData')
        .flatMap((e) =>
          (e.data.baseData.metrics as Array<{ name: string; value: number }>).map((m) => ({
            ...m,
            properties: e.data.baseData.properties as Record<string, string> | undefined,
          })),
        )
        .filter((m) => m.name === name);
    expect(metric('kvwarden_events_ingested_total')).toEqual([
      expect.objectContaining({ value: 3, properties: expect.objectContaining({ source: 'folder' }) }),
    ]);
    expect(metric('kvwarden_delivery_latency_seconds_count')[0]?.value).toBe(1);
    expect(metric('kvwarden_delivery_latency_seconds_sum')[0]?.value).toBe(0.25);

    const everything = fake.raw.join('\n');
    expect(everything).not.toContain(CANARY);
    expect(everything.toLowerCase()).not.toContain('authorization');
    expect(everything.toLowerCase()).not.toContain('cookie');
  });

  it('never loads the exporter in embedded mode, even with the connection string in the environment', async () => {
    const env = { APPLICATIONINSIGHTS_CONNECTION_STRING: fake.connectionString(endpoint) };
    let loads = 0;
    const cfg = config('', env);
    expect(cfg.embedded).toBe(true);
    expect(cfg.telemetry.azureMonitor.enabled).toBe(false);
    const app = await createApp(cfg, {
      logger: silentLogger,
      cwd: dir,
      telemetry: {
        load: () => {
          loads++;
          return realLoader();
        },
      },
    });
    await app.start();
    await fetch(`${app.url}/healthz`);
    await app.stop();
    expect(loads).toBe(0);
    expect(fake.raw).toEqual([]);
  });
});

describe('telemetry configuration', () => {
  const azure = 'teams: { allowUnauthenticatedLocalDev: true }'; // any Azure/chat setting leaves embedded mode
  const valid = `InstrumentationKey=${IKEY};IngestionEndpoint=https://westeurope-5.in.applicationinsights.azure.com/`;

  it.each([
    ['connection string set, not embedded', azure, { APPLICATIONINSIGHTS_CONNECTION_STRING: valid }, true],
    ['no connection string', azure, {}, false],
    [
      'turned off explicitly',
      `${azure}\ntelemetry: { azureMonitor: { enabled: false } }`,
      { APPLICATIONINSIGHTS_CONNECTION_STRING: valid },
      false,
    ],
    ['embedded mode', '', { APPLICATIONINSIGHTS_CONNECTION_STRING: valid }, false],
    [
      'embedded mode, asked for',
      'telemetry: { azureMonitor: { enabled: true } }',
      { APPLICATIONINSIGHTS_CONNECTION_STRING: valid },
      true,
    ],
  ])('resolves enabled: %s', (_name, text, env, enabled) => {
    expect(config(text, env).telemetry.azureMonitor.enabled).toBe(enabled);
  });

  it('names the key when the export is asked for without a connection string', () => {
    expect(() => config('telemetry: { azureMonitor: { enabled: true } }', {})).toThrow(ConfigError);
    expect(() => config('telemetry: { azureMonitor: { enabled: true } }', {})).toThrow(
      /telemetry\.azureMonitor\.enabled: APPLICATIONINSIGHTS_CONNECTION_STRING is not set/,
    );
  });

  it.each([
    [
      'no instrumentation key',
      `IngestionEndpoint=https://x.in.applicationinsights.azure.com/;Secret=${CANARY}`,
    ],
    ['a key that is not a GUID', `InstrumentationKey=${CANARY}`],
    ['an endpoint that is not a URL', `InstrumentationKey=${IKEY};IngestionEndpoint=${CANARY}`],
  ])('refuses a connection string with %s, without echoing it', (_name, value) => {
    let error: unknown;
    try {
      config(azure, { APPLICATIONINSIGHTS_CONNECTION_STRING: value });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).keyPath).toBe('env.APPLICATIONINSIGHTS_CONNECTION_STRING');
    expect((error as Error).message).not.toContain(CANARY);
  });
});
