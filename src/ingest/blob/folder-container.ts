import { open, readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import type { BlobContainer, BlobInfo } from './blob-container.js';

/**
 * A local folder laid out like the storage container (`resourceId=/…/PT1H.json`), so the embedded mode
 * runs the same forwarder code (offsets, half-line waiting, hour rollover) on files. Files are treated as
 * append blobs unless they hold one legacy document (`{"records":[…]}` or a bare array).
 */
export class FolderContainer implements BlobContainer {
  constructor(private readonly root: string) {}

  async *list(prefix: string): AsyncIterable<BlobInfo> {
    for (const rel of await walk(this.root, '')) {
      if (!rel.startsWith(prefix)) continue;
      const full = path.join(this.root, rel);
      const s = await stat(full);
      yield {
        name: rel,
        size: s.size,
        lastModifiedMs: s.mtimeMs,
        etag: `${s.size}-${s.mtimeMs}`,
        append: !(await isWholeDocument(full)),
      };
    }
  }

  async read(name: string, offset: number, count: number): Promise<Buffer | undefined> {
    const fh = await open(path.join(this.root, name), 'r').catch(() => undefined);
    if (!fh) return undefined;
    try {
      const buf = Buffer.alloc(count);
      const { bytesRead } = await fh.read(buf, 0, count, offset);
      return bytesRead === 0 ? undefined : buf.subarray(0, bytesRead);
    } finally {
      await fh.close();
    }
  }
}

async function walk(root: string, rel: string): Promise<string[]> {
  const entries = await readdir(path.join(root, rel), { withFileTypes: true }).catch(() => []);
  const out: string[] = [];
  for (const e of entries) {
    const child = rel ? `${rel}/${e.name}` : e.name;
    if (e.isDirectory()) out.push(...(await walk(root, child)));
    else if (e.isFile()) out.push(child);
  }
  return out.sort();
}

/** Legacy whole documents: `{"records":[…]}` or a bare array (JSON Lines files start with a record object). */
async function isWholeDocument(file: string): Promise<boolean> {
  const fh = await open(file, 'r');
  try {
    const buf = Buffer.alloc(64);
    const { bytesRead } = await fh.read(buf, 0, 64, 0);
    const head = buf
      .subarray(0, bytesRead)
      .toString('utf8')
      .replace(/^\uFEFF/, '');
    return /^\s*\[/.test(head) || /^\s*\{\s*"records"\s*:/.test(head);
  } finally {
    await fh.close();
  }
}
