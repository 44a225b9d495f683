import {
  Client as ApiClient,
  CHINA,
  type CloudEnvironment,
  PUBLIC,
  type TokenCredentials,
  US_GOV,
} from '@microsoft/teams.api';
import { App } from '@microsoft/teams.apps';
import type { FastifyInstance } from 'fastify';
import type { Directory } from '../../config/directory.js';
import type { Config } from '../../config/load.js';
import type { Store } from '../../store/store.js';
import { type Clock, systemClock } from '../../util/clock.js';
import type { Logger } from '../../util/logger.js';
import type { ChatHandler } from '../chat-surface.js';
import { FastifyTeamsAdapter } from './fastify-adapter.js';
import { registerTeamsHandlers } from './teams-handlers.js';
import { teamsLogger } from './teams-logger.js';
import { TeamsSurface } from './teams-surface.js';

export const TEAMS_MESSAGES_PATH = '/api/messages';
export const DEFAULT_TEAMS_SERVICE_URL = 'https://smba.trafficmanager.net/teams';

export interface TeamsDeps {
  readonly config: Pick<Config, 'teams' | 'env' | 'azure'>;
  readonly handler: ChatHandler;
  readonly store: Store;
  readonly directory: Directory;
  readonly logger: Logger;
  readonly clock?: Clock;
  /** Overrides the cloud's login/OpenID endpoints (tests point them at a loopback JWKS). */
  readonly cloud?: CloudEnvironment;
  /** Supplies the bot's outbound token instead of client-credential/managed-identity sign-in. */
  readonly botToken?: TokenCredentials['token'];
  /** Service URL for conversations never seen (proactive posts before installation). */
  readonly defaultServiceUrl?: string;
}

export interface TeamsRuntime {
  readonly app: App;
  readonly surface: TeamsSurface;
  /** Whether inbound activities must carry a valid Bot Framework JWT. */
  readonly authenticated: boolean;
}

/**
 * Teams for kv-warden with Microsoft's Teams SDK (`@microsoft/teams.apps`; the Bot Framework SDK
 * `botbuilder` was archived at the end of 2025). The SDK's HttpServer runs on our fastify server
 * through an adapter, so `POST /api/messages` shares the port with everything else and the SDK
 * still validates tokens: with `CLIENT_ID` set every activity needs a Bot Framework JWT (signature
 * against the cloud's OpenID keys, audience = the bot id, issuer, expiry, service URL), else 401.
 * Without `CLIENT_ID`, requests are accepted only when `teams.allowUnauthenticatedLocalDev` is
 * true (logged as a warning); otherwise all are refused.
 */
export function registerTeamsRoutes(fastify: FastifyInstance, deps: TeamsDeps): TeamsRuntime {
  const { config, logger } = deps;
  const env = config.env.teams;
  const authenticated = env.clientId !== undefined;
  const allowUnauthenticated = !authenticated && config.teams.allowUnauthenticatedLocalDev;
  if (authenticated && config.teams.allowUnauthenticatedLocalDev) {
    logger.warn(
      'teams.allowUnauthenticatedLocalDev is ignored because CLIENT_ID is set: tokens are validated',
    );
  } else if (allowUnauthenticated) {
    logger.warn(
      'Teams: accepting UNAUTHENTICATED activities on /api/messages (teams.allowUnauthenticatedLocalDev). Local development only.',
    );
  } else if (!authenticated) {
    logger.warn('Teams: CLIENT_ID is not set, so every activity on /api/messages is refused (401)');
  }

  const adapter = new FastifyTeamsAdapter(fastify);
  const cloud = deps.cloud ?? cloudFor(config.azure.cloud);
  const app = new App({
    // Explicit values everywhere: the SDK would otherwise read CLIENT_ID, SERVICE_URL, CLOUD and
    // DANGEROUSLY_ALLOW_UNAUTHENTICATED_REQUESTS from process.env by itself.
    ...(env.clientId && { clientId: env.clientId }),
    ...(env.clientSecret && { clientSecret: env.clientSecret }),
    ...(env.tenantId && { tenantId: env.tenantId }),
    ...(deps.botToken && { token: deps.botToken }),
    logger: teamsLogger(logger),
    httpServerAdapter: adapter,
    dangerouslyAllowUnauthenticatedRequests: allowUnauthenticated,
    messagingEndpoint: TEAMS_MESSAGES_PATH,
    serviceUrl: deps.defaultServiceUrl ?? DEFAULT_TEAMS_SERVICE_URL,
    cloud,
  });
  const clock = deps.clock ?? systemClock;
  const surface = new TeamsSurface({
    apiFor: (serviceUrl) => new ApiClient(serviceUrl.replace(/\/+$/, ''), app.api.http),
    store: deps.store,
    directory: deps.directory,
    defaultServiceUrl: deps.defaultServiceUrl ?? DEFAULT_TEAMS_SERVICE_URL,
    clock,
  });
  registerTeamsHandlers(app, {
    handler: deps.handler,
    surface,
    store: deps.store,
    directory: deps.directory,
    logger,
    clock,
  });
  // The SDK registers POST /api/messages on the adapter during initialize(); doing it inside a
  // plugin makes fastify wait for it before listening.
  fastify.register(async () => {
    await app.initialize();
  });
  return { app, surface, authenticated };
}

function cloudFor(name: Config['azure']['cloud']): CloudEnvironment {
  if (name === 'AzureUSGovernment') return US_GOV;
  if (name === 'AzureChina') return CHINA;
  return PUBLIC;
}
