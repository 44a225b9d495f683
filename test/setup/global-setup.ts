// Starts one Azurite (blob + table) for the whole run and hands its connection string to tests via inject().
import 'vitest';
import type { TestProject } from 'vitest/node';
import { startAzurite } from '../fakes/azurite.js';

declare module 'vitest' {
  export interface ProvidedContext {
    azuriteConnectionString: string;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const azurite = await startAzurite();
  project.provide('azuriteConnectionString', azurite.connectionString);
  return async () => {
    azurite.stop();
  };
}
