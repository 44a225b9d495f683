import type { TokenCredential } from '@azure/core-auth';
import { cloudEndpoints } from '../azure/cloud-endpoints.js';
import { defaultCredential } from '../azure/credential.js';
import { createRotationProviders, type RotationProviders } from '../azure/rotation-providers.js';
import { userMessageFor } from '../errors.js';
import { handleRotationAction, registerRotationCommands } from '../rotation/rotation-chat.js';
import { rotationCardPublisher } from '../rotation/rotation-publisher.js';
import type { RotationRecord } from '../rotation/rotation-record.js';
import { RotationService } from '../rotation/rotation-service.js';
import type { AppContext, AppFeature } from './features.js';

export interface RotationFeatureOptions {
  /**
   * The rotation ports. Default: `createRotationProviders` — the local vault in embedded mode (seeded with the
   * demo vault `kv-demo-payments/storage-key`), else Key Vault + ARM with `credential`.
   */
  readonly providers?: (ctx: AppContext) => Promise<RotationProviders>;
  /** Azure credential for Key Vault and ARM (default: DefaultAzureCredential for `azure.cloud`). */
  readonly credential?: TokenCredential;
  /** How often pending requests past their TTL are expired. Default 60 s. */
  readonly expirySweepMs?: number;
  /**
   * Longest wait at stop for executions in progress. Default 15 s. One still running after that is left to
   * `resumeIncomplete()` at the next start (each step is persisted and safe to redo).
   */
  readonly stopWaitMs?: number;
}

/**
 * Two-person approved key rotation (DESIGN §4.6) in the app: `/kv rotate`, `/kv rotations`, the `rotation.*`
 * card verbs (Approve, Deny, Refresh, and "Request rotation" on SecretNearExpiry notices), cards through the
 * outbox to the rotation channel, resumption of rotations a crash left mid-way, and the expiry sweep.
 * Log lines carry ids, states and people only; key values stay inside the executor and the vault.
 */
export function createRotationFeature(options: RotationFeatureOptions = {}): AppFeature {
  return {
    name: 'rotation',
    async register(ctx) {
      const { config, clock } = ctx;
      const logger = ctx.logger.child({ feature: 'rotation' });
      const providers = options.providers
        ? await options.providers(ctx)
        : await createRotationProviders(config, {
            store: ctx.store,
            clock,
            demo: config.embedded,
            ...(config.embedded ? {} : { credential: await credentialFor(ctx, options) }),
          });
      const service = new RotationService({
        store: ctx.store,
        vault: providers.vault,
        rotator: providers.rotator,
        directory: ctx.directory,
        clock,
        logger,
        config: {
          requestTtlMs: config.rotation.requestTtl,
          approvalsRequired: config.rotation.approvalsRequired,
        },
        onChange: rotationCardPublisher({ outbox: ctx.outbox, config }),
      });

      const inflight = new Set<Promise<unknown>>();
      const track = (work: Promise<unknown>): void => {
        const p = work.finally(() => inflight.delete(p));
        inflight.add(p);
      };
      const onExecution = (execution: Promise<RotationRecord>): void =>
        track(
          execution.then(
            (r) => logExecution(logger, r),
            (err: unknown) => logger.warn({ reason: userMessageFor(err) }, 'rotation execution failed'),
          ),
        );

      registerRotationCommands(ctx.router, service);
      ctx.handler.registerActions('rotation.', (actor, action) =>
        handleRotationAction(service, actor, action, onExecution),
      );
      logger.info({ provider: providers.kind }, 'rotation is on');

      let sweep: NodeJS.Timeout | undefined;
      return {
        async start() {
          track(
            service.resumeIncomplete().then(
              (resumed) => {
                for (const r of resumed) logExecution(logger, r);
              },
              (err: unknown) =>
                logger.warn({ reason: userMessageFor(err) }, 'resuming interrupted rotations failed'),
            ),
          );
          sweep = setInterval(() => {
            service
              .expireStale()
              .catch((err: unknown) =>
                logger.warn({ reason: userMessageFor(err) }, 'rotation expiry sweep failed'),
              );
          }, options.expirySweepMs ?? 60_000);
          sweep.unref();
        },
        async stop() {
          if (sweep) clearInterval(sweep);
          if (inflight.size === 0) return;
          let timer: NodeJS.Timeout | undefined;
          const waited = await Promise.race([
            Promise.allSettled([...inflight]).then(() => true),
            new Promise<false>((resolve) => {
              timer = setTimeout(() => resolve(false), options.stopWaitMs ?? 15_000);
            }),
          ]);
          if (timer) clearTimeout(timer);
          if (!waited)
            logger.warn({ running: inflight.size }, 'rotations still running at stop; resumed at next start');
        },
      };
    },
  };
}

/** The rotation feature `kv-warden serve` runs. */
export const rotationFeature: AppFeature = createRotationFeature();

async function credentialFor(ctx: AppContext, options: RotationFeatureOptions): Promise<TokenCredential> {
  return options.credential ?? defaultCredential(cloudEndpoints(ctx.config.azure));
}

function logExecution(logger: AppContext['logger'], r: RotationRecord): void {
  const fields = { rotation: r.id, vault: r.plan.vault, secret: r.plan.secret, state: r.state };
  if (r.state === 'failed')
    logger.warn({ ...fields, step: r.execution.failedStep }, 'rotation execution failed at a step');
  else logger.info({ ...fields, version: r.execution.newVersion }, 'rotation execution finished');
}
