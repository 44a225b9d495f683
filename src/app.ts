import path from 'node:path';
import type { TokenCredential } from '@azure/core-auth';
import Fastify, { type FastifyInstance } from 'fastify';
import { AlertService } from './alerts/alert-service.js';
import { alertsCommand, helpCommand } from './alerts/commands.js';
import { Outbox, type OutboxOptions } from './alerts/outbox.js';
import { type FetchLike, pagerDutyFromConfig } from './alerts/pagerduty.js';
import { routeAlert } from './alerts/routing.js';
import { AppChatHandler } from './app/app-chat-handler.js';
import { consoleUrlBase, isLoopbackHost, named, withTimeout } from './app/app-util.js';
import { registerChatAdapters } from './app/chat-adapters.js';
import { DEMO_AUDIT_LOGS } from './app/demo.js';
import {
  type AppContext,
  type AppFeature,
  DEFAULT_FEATURES,
  type FeatureRuntime,
  type IntakeSource,
} from './app/features.js';
import { registerHealthRoutes } from './app/health-routes.js';
import { DefaultIntakePipeline } from './app/intake-pipeline.js';
import { renderNoticeCard } from './app/notice-card.js';
import { loadPipelineCheckpoint } from './app/pipeline-checkpoint.js';
import { eventKeyRetention, RetentionPruner } from './app/retention-pruner.js';
import { cloudEndpoints } from './azure/cloud-endpoints.js';
import { defaultCredential } from './azure/credential.js';
import type { ChatSurface } from './chat/chat-surface.js';
import { CommandRouter } from './chat/command-router.js';
import { newConsoleToken } from './chat/console/console-auth.js';
import { registerConsoleRoutes } from './chat/console/console-routes.js';
import { ConsoleSurface } from './chat/console/console-surface.js';
import { Directory } from './config/directory.js';
import type { Config } from './config/load.js';
import { DetectionEngine, type EngineOptions } from './detect/engine.js';
import { ConfigError } from './errors.js';
import { FolderSource } from './ingest/folder/folder-source.js';
import { createStore } from './store/create-store.js';
import { type DuckDbHandle, openDuckDb } from './store/duckdb/open-duckdb.js';
import type { Store } from './store/store.js';
import { startTelemetry, type Telemetry, type TelemetryDeps } from './telemetry/telemetry.js';
import { type Clock, systemClock } from './util/clock.js';
import { createLogger, type Logger } from './util/logger.js';
import { Metrics } from './util/metrics.js';

export interface AppDeps {
  readonly clock?: Clock;
  readonly logger?: Logger;
  readonly metrics?: Metrics;
  /** For PagerDuty (tests point it at a loopback fake). */
  readonly fetch?: FetchLike;
  /** Base for relative paths in the configuration. */
  readonly cwd?: string;
  /** Replay the bundled demo audit logs. */
  readonly demo?: boolean;
  /** Folder of demo audit logs (default: the bundled demo/audit-logs). */
  readonly demoFolder?: string;
  /** The console token (default: random per start). */
  readonly consoleToken?: string;
  /** Features to plug in (default: DEFAULT_FEATURES). */
  readonly features?: readonly AppFeature[];
  readonly outboxOptions?: OutboxOptions;
  /** Intake idle time before the watermark follows the clock. */
  readonly idleMs?: number;
  /** Folder poll interval. */
  readonly pollMs?: number;
  /** Longest wait for the outbox to drain at shutdown. Default 10 s. */
  readonly shutdownDrainMs?: number;
  /** Entra credential for `store.azureTable.endpoint` (default: DefaultAzureCredential for `azure.cloud`). */
  readonly credential?: TokenCredential;
  /** Telemetry export overrides (tests: the module loader, the exporter's TLS CA and offline storage). */
  readonly telemetry?: Omit<TelemetryDeps, 'logger'>;
}

export interface App {
  readonly config: Config;
  readonly fastify: FastifyInstance;
  readonly context: AppContext;
  readonly console?: ConsoleSurface;
  readonly sources: readonly IntakeSource[];
  /** After `start()`: the base URL, and the console URL with its token when the console is on. */
  readonly url?: string;
  readonly consoleUrl?: string;
  start(): Promise<void>;
  /** Graceful stop: intake, detector checkpoint, outbox flush (bounded), adapters, server, store. */
  stop(): Promise<void>;
}

/**
 * The composition root (DESIGN §2): the only place that knows every adapter. config → store →
 * directory → detection engine (restored from its checkpoint) → alerts + outbox → surfaces →
 * commands → chat handler → intake pipeline → sources → one fastify server.
 */
export async function createApp(config: Config, deps: AppDeps = {}): Promise<App> {
  const clock = deps.clock ?? systemClock;
  const logger = deps.logger ?? createLogger({ level: config.logging.level });
  const metrics = deps.metrics ?? new Metrics();
  const cwd = deps.cwd ?? process.cwd();

  // The console is loopback only: asked for explicitly on another address is an error; by default it is
  // simply left off there.
  const loopback = isLoopbackHost(config.server.host);
  if (config.server.console === true && !loopback)
    throw new ConfigError(
      'server.console',
      `the console is loopback only, but server.host is ${config.server.host}`,
    );
  if (config.server.console === undefined && config.embedded && !loopback)
    logger.warn({ host: config.server.host }, 'local console off: it only runs on a loopback server.host');
  const consoleEnabled = (config.server.console ?? config.embedded) && loopback;

  // Started before anything else and stopped after the server; the exporter module is loaded only when the
  // export is enabled (by default never in embedded mode).
  const telemetry = await startTelemetry(config, { logger, ...deps.telemetry });
  try {
    return await open(config, deps, { clock, logger, metrics, cwd, consoleEnabled, telemetry });
  } catch (err) {
    await telemetry?.shutdown();
    throw err;
  }
}

/** Opens the store, then wires the rest (closing the store again if that throws). */
async function open(config: Config, deps: AppDeps, started: Omit<Opened, 'store' | 'duckdb'>): Promise<App> {
  const { cwd } = started;
  let duckdb: DuckDbHandle | undefined;
  if ('duckdb' in config.store) duckdb = await openDuckDb(path.resolve(cwd, config.store.duckdb));
  const credential =
    'azureTable' in config.store && config.store.azureTable.endpoint
      ? (deps.credential ?? (await defaultCredential(cloudEndpoints(config.azure))))
      : undefined;
  const store: Store = await createStore(config, {
    ...(duckdb ? { duckdb } : {}),
    ...(credential ? { credential } : {}),
    cwd,
  });
  try {
    return await wire(config, deps, { ...started, store, duckdb });
  } catch (err) {
    await store.close().catch(() => undefined);
    await duckdb?.close().catch(() => undefined);
    throw err;
  }
}

interface Opened {
  readonly clock: Clock;
  readonly logger: Logger;
  readonly metrics: Metrics;
  readonly cwd: string;
  readonly consoleEnabled: boolean;
  readonly store: Store;
  readonly duckdb: DuckDbHandle | undefined;
  readonly telemetry: Telemetry | undefined;
}

/** Everything after the store is open (createApp closes the store if this throws). */
async function wire(config: Config, deps: AppDeps, opened: Opened): Promise<App> {
  const { clock, logger, metrics, cwd, consoleEnabled, store, duckdb, telemetry } = opened;
  const directory = new Directory(config);
  const router = new CommandRouter();
  const handler = new AppChatHandler(router, directory, logger);
  const fastify = Fastify({ logger: false, forceCloseConnections: true, bodyLimit: 1024 * 1024 });
  telemetry?.instrument(fastify);

  let consoleSurface: ConsoleSurface | undefined;
  const token = deps.consoleToken ?? newConsoleToken();
  if (consoleEnabled) {
    consoleSurface = new ConsoleSurface(store, () => clock.now());
    await registerConsoleRoutes(fastify, { surface: consoleSurface, handler, directory, token, logger });
  }
  const adapters = registerChatAdapters(fastify, { config, handler, store, directory, logger, clock });
  const surfaces: ChatSurface[] = [...(consoleSurface ? [consoleSurface] : []), ...adapters.surfaces];
  if (surfaces.length === 0) logger.warn('no chat surface is configured: alerts are stored but not posted');

  const pagerDuty = pagerDutyFromConfig(config, deps.fetch ?? (globalThis.fetch as FetchLike));
  const outbox = new Outbox({
    store,
    clock,
    surfaces,
    ...(pagerDuty ? { pagerDuty } : {}),
    metrics,
    logger,
    ...(deps.outboxOptions ? { options: deps.outboxOptions } : {}),
  });
  const alerts = new AlertService({ store, clock, config, directory, outbox, metrics, logger });
  router.register(helpCommand(() => router.list())).register(alertsCommand({ service: alerts, directory }));
  handler.registerActions('alert.', (actor, action) => alerts.act(actor, action));

  const engineOptions: EngineOptions = { detection: config.detection, vaults: config.vaults };
  const saved = await loadPipelineCheckpoint(store);
  const detector = restoreDetector(saved.engine, engineOptions, logger);
  // Event keys (and the access-policy notices waiting for their alert) are forgotten after the retention.
  const pruner = new RetentionPruner({
    retentionMs: eventKeyRetention(config),
    clock,
    logger,
    tasks: [
      { name: 'seen event keys', prune: (before) => store.pruneSeen(before) },
      { name: 'access-policy notices', prune: (before) => alerts.prunePolicyNotices(before) },
    ],
  });
  const pipeline = new DefaultIntakePipeline({
    unrecorded: saved.unrecorded,
    unmarked: saved.unmarked,
    store,
    detector,
    alerts,
    policyNotices: alerts,
    pruner,
    clock,
    logger,
    metrics,
    ...(deps.idleMs !== undefined ? { idleMs: deps.idleMs } : {}),
    notices: {
      post: async (notice) => {
        const message = renderNoticeCard(notice);
        for (const route of routeAlert(config, outbox.surfaceNames(), {
          vault: notice.vault,
          severity: 'medium',
        }))
          await outbox.publishCard(`notice:${notice.id}`, route, message, 1);
      },
    },
  });

  const context: AppContext = {
    config,
    store,
    ...(duckdb ? { duckdb } : {}),
    directory,
    router,
    handler,
    pipeline,
    alerts,
    outbox,
    surfaces,
    fastify,
    clock,
    logger,
    metrics,
  };
  const runtimes: FeatureRuntime[] = [];
  for (const feature of deps.features ?? DEFAULT_FEATURES) {
    const runtime = await feature.register(context);
    if (runtime) runtimes.push(runtime);
  }

  const sources: IntakeSource[] = [];
  const folderOptions = { pipeline, store, logger, metrics, ...(deps.pollMs ? { pollMs: deps.pollMs } : {}) };
  if (deps.demo)
    sources.push(
      named(
        'demo',
        new FolderSource({ ...folderOptions, root: deps.demoFolder ?? DEMO_AUDIT_LOGS, name: 'demo' }),
      ),
    );
  if (config.sources.folder)
    sources.push(
      named('folder', new FolderSource({ ...folderOptions, root: path.resolve(cwd, config.sources.folder) })),
    );
  for (const r of runtimes) sources.push(...(r.sources ?? []));

  let storeOpen = true;
  const refreshGauges = async () => {
    if (storeOpen) metrics.outboxDepth.set(await outbox.depth());
  };
  registerHealthRoutes(fastify, {
    metrics,
    readiness: {
      notReady: async () => [
        ...(storeOpen ? [] : ['store']),
        ...sources.filter((s) => !s.connected).map((s) => `source:${s.name}`),
      ],
    },
    beforeScrape: refreshGauges,
  });
  telemetry?.observe(metrics.registry, refreshGauges);

  let sweepTimer: NodeJS.Timeout | undefined;
  let stopping: Promise<void> | undefined;
  const app: App & { url?: string; consoleUrl?: string } = {
    config,
    fastify,
    context,
    ...(consoleSurface ? { console: consoleSurface } : {}),
    sources,
    async start() {
      await consoleSurface?.start();
      await adapters.start();
      for (const r of runtimes) await r.start?.();
      outbox.start();
      pipeline.start();
      const address = await fastify.listen({ host: config.server.host, port: config.server.port });
      app.url = address.replace('[::1]', '127.0.0.1');
      if (consoleSurface) app.consoleUrl = `${consoleUrlBase(fastify, config.server.host)}/?token=${token}`;
      if (config.escalation.autoEscalateAfter !== undefined) {
        sweepTimer = setInterval(() => {
          alerts.sweep(clock.now()).catch((err) => logger.warn({ err }, 'auto-escalation sweep failed'));
        }, 30_000);
        sweepTimer.unref();
      }
      for (const source of sources) {
        source.start().catch((err) => logger.error({ err, source: source.name }, 'source failed to start'));
      }
    },
    stop() {
      stopping ??= (async () => {
        if (sweepTimer) clearInterval(sweepTimer);
        for (const source of sources)
          await source.stop().catch((err) => logger.warn({ err }, 'source stop failed'));
        await pipeline.stop().catch((err) => logger.error({ err }, 'final detector checkpoint failed'));
        const left = await withTimeout(outbox.drain(), deps.shutdownDrainMs ?? 10_000);
        if (left === undefined || left > 0)
          logger.warn({ left }, 'outbox not empty at shutdown; delivered at next start');
        await outbox.stop();
        for (const r of runtimes)
          await r.stop?.().catch((err) => logger.warn({ err }, 'feature stop failed'));
        await adapters.stop();
        consoleSurface?.broadcastNotice('kv-warden is shutting down.');
        await fastify.close();
        // Last spans and a last metrics export, while the store still answers the outbox-depth gauge.
        await telemetry?.shutdown();
        storeOpen = false;
        await store.close();
        await duckdb?.close();
      })();
      return stopping;
    },
  };
  return app;
}

function restoreDetector(state: unknown, options: EngineOptions, logger: Logger): DetectionEngine {
  if (state === undefined) return new DetectionEngine(options);
  try {
    return DetectionEngine.fromState(options, state);
  } catch (err) {
    logger.warn({ err }, 'detector checkpoint unusable; starting with empty detector state');
    return new DetectionEngine(options);
  }
}
