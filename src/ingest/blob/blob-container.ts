import type { ContainerClient } from '@azure/storage-blob';
import { UpstreamError } from '../../errors.js';

/** What the forwarder needs from a blob container (Azure Storage, or a local folder in embedded mode). */
export interface BlobContainer {
  list(prefix: string): AsyncIterable<BlobInfo>;
  /** Bytes `[offset, offset+count)`; undefined when `offset` is at or past the end (HTTP 416). */
  read(name: string, offset: number, count: number): Promise<Buffer | undefined>;
}

export interface BlobInfo {
  readonly name: string;
  readonly size: number;
  readonly lastModifiedMs: number;
  readonly etag: string;
  /** Append blobs grow (JSON Lines); block blobs are written whole (legacy `{"records":[…]}`). */
  readonly append: boolean;
}

/** BlobContainer over `@azure/storage-blob` with ranged reads. */
export class AzureBlobContainer implements BlobContainer {
  constructor(private readonly client: ContainerClient) {}

  async *list(prefix: string): AsyncIterable<BlobInfo> {
    for await (const b of this.client.listBlobsFlat({ prefix })) {
      yield {
        name: b.name,
        size: b.properties.contentLength ?? 0,
        lastModifiedMs: b.properties.lastModified.getTime(),
        etag: b.properties.etag,
        append: b.properties.blobType === 'AppendBlob',
      };
    }
  }

  async read(name: string, offset: number, count: number): Promise<Buffer | undefined> {
    try {
      const res = await this.client.getBlobClient(name).download(offset, count);
      const chunks: Buffer[] = [];
      for await (const c of res.readableStreamBody as AsyncIterable<Buffer>) chunks.push(c);
      return Buffer.concat(chunks);
    } catch (err) {
      const status = (err as { statusCode?: number }).statusCode;
      if (status === 416) return undefined;
      if (status === 404) return undefined;
      throw new UpstreamError(`blob storage: reading ${name} failed: ${(err as Error).message}`, {
        cause: err,
        transient: status === undefined || status >= 500 || status === 429,
      });
    }
  }
}
