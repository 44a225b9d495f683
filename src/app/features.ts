import type { FastifyInstance } from 'fastify';
import type { AlertService } from '../alerts/alert-service.js';
import type { Outbox } from '../alerts/outbox.js';
import type { ChatSurface } from '../chat/chat-surface.js';
import type { CommandRouter } from '../chat/command-router.js';
import type { Directory } from '../config/directory.js';
import type { Config } from '../config/load.js';
import type { DuckDbHandle } from '../store/duckdb/open-duckdb.js';
import { queriesFeature } from '../store/history/queries-feature.js';
import type { Store } from '../store/store.js';
import type { Clock } from '../util/clock.js';
import type { Logger } from '../util/logger.js';
import type { Metrics } from '../util/metrics.js';
import type { AppChatHandler } from './app-chat-handler.js';
import { ingestFeature } from './ingest-feature.js';
import type { DefaultIntakePipeline } from './intake-pipeline.js';
import { rotationFeature } from './rotation-feature.js';

/** Something that feeds the intake pipeline (local folder, Service Bus, in-process blob forwarder). */
export interface IntakeSource {
  readonly name: string;
  /** Whether it is reading (for /readyz). */
  readonly connected: boolean;
  start(): Promise<void>;
  stop(): Promise<void>;
}

/** Everything a feature may use when it plugs itself in. */
export interface AppContext {
  readonly config: Config;
  readonly store: Store;
  /** The shared DuckDB handle in embedded mode (event history tables live in the same file). */
  readonly duckdb?: DuckDbHandle;
  readonly directory: Directory;
  readonly router: CommandRouter;
  /** `registerActions(prefix, handler)` for card verbs. */
  readonly handler: AppChatHandler;
  /** `onAccepted(hook)` for events accepted for the first time (history). */
  readonly pipeline: DefaultIntakePipeline;
  readonly alerts: AlertService;
  readonly outbox: Outbox;
  readonly surfaces: readonly ChatSurface[];
  readonly fastify: FastifyInstance;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly metrics: Metrics;
}

/** What a feature hands back: its sources, and start/stop hooks run with the app's. */
export interface FeatureRuntime {
  readonly sources?: readonly IntakeSource[];
  start?(): Promise<void>;
  stop?(): Promise<void>;
}

/**
 * A part of kv-warden that plugs into the composition root (queries, rotation, Service Bus intake):
 * it registers `/kv` subcommands, card action prefixes, intake hooks and routes on the context.
 */
export interface AppFeature {
  readonly name: string;
  register(ctx: AppContext): Promise<FeatureRuntime | undefined> | FeatureRuntime | undefined;
}

/**
 * The features `kv-warden serve` runs. Areas add theirs here (one import and one entry each);
 * `createApp` also accepts extra features for tests.
 */
export const DEFAULT_FEATURES: readonly AppFeature[] = [ingestFeature, queriesFeature, rotationFeature];
