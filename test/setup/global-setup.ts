// Starts one Azurite (blob + table) for the whole run and hands its connection string to tests via inject().
import 'vitest';
import { type ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';
import type { TestProject } from 'vitest/node';

declare module 'vitest' {
  export interface ProvidedContext {
    azuriteConnectionString: string;
  }
}

const ACCOUNT_KEY =
  'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==';

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const bin = path.resolve('node_modules/azurite/dist/src/azurite.js');
  const child: ChildProcess = spawn(
    process.execPath,
    [
      bin,
      '--inMemoryPersistence',
      '--loose',
      '--skipApiVersionCheck',
      '--disableTelemetry',
      '--disableProductStyleUrl',
      '--silent',
      '--blobHost',
      '127.0.0.1',
      '--blobPort',
      '0',
      '--tableHost',
      '127.0.0.1',
      '--tablePort',
      '0',
      '--queueHost',
      '127.0.0.1',
      '--queuePort',
      '0',
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const ports = await new Promise<{ blob: string; table: string }>((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`Azurite did not start: ${out}`)), 30_000);
    child.stdout?.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const blob = /Blob service is successfully listening at http:\/\/127\.0\.0\.1:(\d+)/.exec(out);
      const table = /Table service is successfully listening at http:\/\/127\.0\.0\.1:(\d+)/.exec(out);
      if (blob?.[1] && table?.[1]) {
        clearTimeout(timer);
        resolve({ blob: blob[1], table: table[1] });
      }
    });
    child.on('exit', (code) => reject(new Error(`Azurite exited with ${code}: ${out}`)));
  });
  project.provide(
    'azuriteConnectionString',
    `DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=${ACCOUNT_KEY};` +
      `BlobEndpoint=http://127.0.0.1:${ports.blob}/devstoreaccount1;` +
      `TableEndpoint=http://127.0.0.1:${ports.table}/devstoreaccount1;`,
  );
  return async () => {
    child.kill('SIGTERM');
  };
}
