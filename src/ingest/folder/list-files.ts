import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';

export interface FoundFile {
  /** Absolute path. */
  readonly path: string;
  /** Path relative to the root, with forward slashes. */
  readonly relative: string;
  readonly size: number;
  readonly mtimeMs: number;
  /** Sort key: the hour from the blob layout (`y=/m=/d=/h=`), else the modification time. */
  readonly orderMs: number;
}

const HOUR_IN_PATH = /y=(\d{4})\/m=(\d{2})\/d=(\d{2})\/h=(\d{2})/;

/**
 * Every regular file under `root`, recursively, ordered by the hour its path names (so several vaults'
 * hourly blobs are read in time order, as the detector expects) and then by path.
 */
export async function listFiles(root: string): Promise<FoundFile[]> {
  const found: FoundFile[] = [];
  const walk = async (dir: string): Promise<void> => {
    let entries: import('node:fs').Dirent[];
    try {
      entries = await readdir(dir, { withFileTypes: true });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw err;
    }
    for (const entry of entries) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) await walk(full);
      else if (entry.isFile()) {
        const info = await stat(full).catch(() => undefined);
        if (!info) continue;
        const relative = path.relative(root, full).split(path.sep).join('/');
        found.push({
          path: full,
          relative,
          size: info.size,
          mtimeMs: info.mtimeMs,
          orderMs: hourOf(relative) ?? info.mtimeMs,
        });
      }
    }
  };
  await walk(root);
  return found.sort(
    (a, b) => a.orderMs - b.orderMs || (a.relative < b.relative ? -1 : a.relative > b.relative ? 1 : 0),
  );
}

function hourOf(relative: string): number | undefined {
  const m = HOUR_IN_PATH.exec(relative);
  if (!m) return undefined;
  const ms = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4]));
  return Number.isNaN(ms) ? undefined : ms;
}
