import { appendFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.js';
import { BlobForwarder } from '../../src/ingest/blob/blob-forwarder.js';
import { blobPathFor } from '../../src/ingest/blob/blob-paths.js';
import { FolderContainer } from '../../src/ingest/blob/folder-container.js';
import { PipelineSink } from '../../src/ingest/blob/pipeline-sink.js';
import {
  createServiceBusClient,
  serviceBusConnectionFrom,
} from '../../src/ingest/service-bus/service-bus-client.js';
import { MemoryStore } from '../../src/store/memory-store.js';
import { FakeClock } from '../../src/util/clock.js';
import { silentLogger } from '../../src/util/logger.js';
import { buildRecord, RESOURCE_GROUP, SUBSCRIPTION, toRecordsBlob } from '../fixtures/records.js';
import { RecordingPipeline } from './helpers/intake-stack.js';

const RID = `/SUBSCRIPTIONS/${SUBSCRIPTION}/RESOURCEGROUPS/${RESOURCE_GROUP}/PROVIDERS/MICROSOFT.KEYVAULT/VAULTS/KV-PROD-PAYMENTS`;
let root: string;

beforeEach(() => {
  root = mkdtempSync(path.join(tmpdir(), 'kvw-folder-'));
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

function file(name: string): string {
  const full = path.join(root, name);
  mkdirSync(path.dirname(full), { recursive: true });
  return full;
}

describe('forwarder over a local folder in the blob layout (embedded mode)', () => {
  it('tails a growing JSON Lines file and reads a legacy records document whole', async () => {
    const hour = Date.parse('2025-06-02T13:00:00Z');
    const lines = file(blobPathFor(RID, hour));
    const legacy = file(blobPathFor(RID, hour - 3_600_000));
    const rec = (iso: string) => JSON.stringify(buildRecord({ at: iso }));
    writeFileSync(lines, `${rec('2025-06-02T13:01:00Z')}\n${rec('2025-06-02T13:02:00Z').slice(0, 30)}`);
    writeFileSync(legacy, toRecordsBlob([buildRecord({ at: '2025-06-02T12:59:00Z' })], { pretty: true }));
    const pipeline = new RecordingPipeline();
    const fw = new BlobForwarder({
      container: new FolderContainer(root),
      containerName: 'folder',
      vaults: [],
      sink: new PipelineSink(pipeline),
      store: new MemoryStore(),
      clock: new FakeClock(hour + 20 * 60_000),
      logger: silentLogger,
    });
    await fw.pollOnce();
    expect(pipeline.events().map((e) => e.time)).toEqual([
      '2025-06-02T12:59:00.000Z',
      '2025-06-02T13:01:00.000Z',
    ]);
    appendFileSync(lines, `${rec('2025-06-02T13:02:00Z').slice(30)}\n`);
    await fw.pollOnce();
    expect(pipeline.events()).toHaveLength(3);
  });
});

describe('Service Bus client settings', () => {
  it('prefers the connection string and names the missing setting otherwise', async () => {
    const none = loadConfig({ env: {} });
    await expect(createServiceBusClient(serviceBusConnectionFrom(none))).rejects.toMatchObject({
      keyPath: 'sources.serviceBus.namespace',
    });
    const both = loadConfig({
      env: {
        SERVICEBUS_CONNECTION_STRING: 'Endpoint=sb://127.0.0.1:1;SharedAccessKeyName=k;SharedAccessKey=v',
        SERVICEBUS_NAMESPACE: 'x.servicebus.windows.net',
      },
    });
    const conn = serviceBusConnectionFrom(both);
    expect(conn.connectionString).toContain('127.0.0.1');
    const client = await createServiceBusClient(conn);
    expect(client.fullyQualifiedNamespace).toBe('127.0.0.1');
    await client.close();
    const ns = serviceBusConnectionFrom(
      loadConfig({ env: { SERVICEBUS_NAMESPACE: 'contoso.servicebus.windows.net' } }),
      {
        getToken: async () => ({ token: 't', expiresOnTimestamp: Date.now() + 60_000 }),
      },
    );
    const viaCredential = await createServiceBusClient(ns);
    expect(viaCredential.fullyQualifiedNamespace).toBe('contoso.servicebus.windows.net');
    await viaCredential.close();
  });
});
