import type { FastifyInstance } from 'fastify';
import type { FolderSource } from '../ingest/folder/folder-source.js';
import type { IntakeSource } from './features.js';

/** Small helpers of the composition root. */

export function named(name: string, source: FolderSource): IntakeSource {
  return {
    name,
    get connected() {
      return source.connected;
    },
    start: () => source.start(),
    stop: () => source.stop(),
  };
}

export function isLoopbackHost(host: string): boolean {
  return host === '127.0.0.1' || host === 'localhost' || host === '::1' || host.startsWith('127.');
}

export function consoleUrlBase(fastify: FastifyInstance, host: string): string {
  const address = fastify.server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  const shown = host === '::1' ? '[::1]' : host === 'localhost' ? 'localhost' : host;
  return `http://${shown}:${port}`;
}

export async function withTimeout<T>(work: Promise<T>, ms: number): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<undefined>((resolve) => {
    timer = setTimeout(() => resolve(undefined), ms);
  });
  try {
    return await Promise.race([work, timeout]);
  } finally {
    if (timer) clearTimeout(timer);
  }
}
