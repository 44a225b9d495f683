import type { FastifyInstance } from 'fastify';
import type { ChatHandler, ChatSurface } from '../chat/chat-surface.js';
import { registerSlackRoutes } from '../chat/slack/slack-routes.js';
import { registerTeamsRoutes } from '../chat/teams/teams-routes.js';
import type { Directory } from '../config/directory.js';
import type { Config } from '../config/load.js';
import type { Store } from '../store/store.js';
import type { Clock } from '../util/clock.js';
import type { Logger } from '../util/logger.js';

export interface ChatAdapters {
  readonly surfaces: ChatSurface[];
  start(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * The remote chat surfaces the configuration asks for, mounted on the app's fastify server:
 * Slack when SLACK_BOT_TOKEN is set (HTTP `/slack/events`, or Socket Mode with SLACK_APP_TOKEN),
 * Teams when CLIENT_ID is set or `teams.allowUnauthenticatedLocalDev` is true (`/api/messages`).
 */
export function registerChatAdapters(
  fastify: FastifyInstance,
  deps: {
    config: Config;
    handler: ChatHandler;
    store: Store;
    directory: Directory;
    logger: Logger;
    clock: Clock;
  },
): ChatAdapters {
  const { config, handler, logger, clock } = deps;
  const surfaces: ChatSurface[] = [];
  const starts: Array<() => Promise<void>> = [];
  const stops: Array<() => Promise<void>> = [];
  if (config.env.slack.botToken) {
    const slack = registerSlackRoutes(fastify, { env: config.env.slack, handler, logger, clock });
    surfaces.push(slack.surface);
    starts.push(() => slack.start());
    stops.push(() => slack.stop());
    logger.info({ mode: slack.mode }, 'Slack enabled');
  }
  if (config.env.teams.clientId || config.teams.allowUnauthenticatedLocalDev) {
    const teams = registerTeamsRoutes(fastify, {
      config,
      handler,
      store: deps.store,
      directory: deps.directory,
      logger,
      clock,
    });
    surfaces.push(teams.surface);
    logger.info({ authenticated: teams.authenticated }, 'Teams enabled');
  }
  return {
    surfaces,
    start: async () => {
      for (const start of starts) await start();
    },
    stop: async () => {
      for (const stop of stops) await stop().catch((err) => logger.warn({ err }, 'chat adapter stop failed'));
    },
  };
}
