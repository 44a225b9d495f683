import { type ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';

/** Azurite's well-known development account key (public, documented by Microsoft). */
export const AZURITE_ACCOUNT_KEY =
  'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==';

export interface AzuriteOptions {
  /** Folder for its data (large blobs); default in-memory. */
  readonly location?: string;
  /** Serve HTTPS with this certificate (and OAuth `basic` when `oauth` is set). */
  readonly tls?: { readonly certFile: string; readonly keyFile: string };
  readonly oauth?: boolean;
}

export interface Azurite {
  readonly child: ChildProcess;
  /** Blob and Table endpoints for `devstoreaccount1`. */
  readonly blobEndpoint: string;
  readonly tableEndpoint: string;
  /** Shared-key connection string for both services. */
  readonly connectionString: string;
  stop(): void;
}

/** Starts Azurite (blob, queue and table) on loopback ports chosen by the OS and waits until it listens. */
export async function startAzurite(options: AzuriteOptions = {}): Promise<Azurite> {
  const bin = path.resolve('node_modules/azurite/dist/src/azurite.js');
  const scheme = options.tls ? 'https' : 'http';
  const args = [
    bin,
    ...(options.location ? ['--location', options.location] : ['--inMemoryPersistence']),
    '--loose',
    '--skipApiVersionCheck',
    '--disableTelemetry',
    '--disableProductStyleUrl',
    '--silent',
    ...(options.tls ? ['--cert', options.tls.certFile, '--key', options.tls.keyFile] : []),
    ...(options.oauth ? ['--oauth', 'basic'] : []),
  ];
  for (const service of ['blob', 'queue', 'table'])
    args.push(`--${service}Host`, '127.0.0.1', `--${service}Port`, '0');
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  const ports = await new Promise<{ blob: string; table: string }>((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`Azurite did not start: ${out}`)), 30_000);
    child.stderr?.on('data', (chunk: Buffer) => {
      out += chunk.toString();
    });
    child.stdout?.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const port = (service: string) =>
        new RegExp(`${service} service is successfully listening at ${scheme}://127\\.0\\.0\\.1:(\\d+)`).exec(
          out,
        )?.[1];
      const blob = port('Blob');
      const table = port('Table');
      if (blob && table) {
        clearTimeout(timer);
        resolve({ blob, table });
      }
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`Azurite exited with ${code}: ${out}`));
    });
  });
  const blobEndpoint = `${scheme}://127.0.0.1:${ports.blob}/devstoreaccount1`;
  const tableEndpoint = `${scheme}://127.0.0.1:${ports.table}/devstoreaccount1`;
  return {
    child,
    blobEndpoint,
    tableEndpoint,
    connectionString:
      `DefaultEndpointsProtocol=${scheme};AccountName=devstoreaccount1;AccountKey=${AZURITE_ACCOUNT_KEY};` +
      `BlobEndpoint=${blobEndpoint};TableEndpoint=${tableEndpoint};`,
    stop: () => {
      child.kill('SIGTERM');
    },
  };
}
