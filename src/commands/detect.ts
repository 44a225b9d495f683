import { readdir, realpath, stat } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import path from 'node:path';
import type { AuditItem } from '../audit/audit-event.js';
import { readAuditFile } from '../audit/read-audit.js';
import type { CommandIo } from '../cli.js';
import { loadConfig, resolveConfigPath } from '../config/load.js';
import { type BatchInput, detectBatch } from '../detect/batch.js';
import { toAlertJson } from '../detect/group.js';
import { PARALLEL_MIN_BYTES, readEventBatches } from '../detect/parallel/read-events.js';
import { runDetectThread } from '../detect/parallel/run-detect-thread.js';
import { ConfigError, UsageError } from '../errors.js';

const USAGE = 'usage: kv-warden detect [--config FILE] PATH...';

/**
 * `kv-warden detect [--config FILE] PATH...` (DESIGN §4.1): batch detection over files and folders
 * (walked recursively; every file is read, its shape detected from its content). Alerts go to stdout as
 * JSON Lines; malformed records to stderr as `file:line: reason`. Exit 0 ok, 2 usage/config error,
 * 3 when some input was malformed (everything valid is still processed).
 */
export async function run(args: string[], io: CommandIo): Promise<number> {
  const { configFlag, paths } = parseArgs(args);
  if (paths === 'help') {
    io.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const file = resolveConfigPath(configFlag, io.env, io.cwd);
  const config = loadConfig({ ...(file ? { file } : {}), env: io.env });
  const threads = parseThreads(io.env);
  const files = await collectFiles(paths, io.cwd);

  const options = { detection: config.detection, vaults: config.vaults };
  const inputs = [];
  for (const f of files) inputs.push({ ...f, firstTimeMs: await firstEventTime(f.real) });

  if (threads > 0 && files.some((f) => f.size >= PARALLEL_MIN_BYTES)) {
    // Large inputs: detection on a thread of its own, parsing spread over the other cores.
    const result = await runDetectThread(inputs, options, threads, (line) => io.stderr.write(`${line}\n`));
    for (const line of result.alerts) await write(io.stdout, `${line}\n`);
    return result.malformed > 0 ? 3 : 0;
  }
  let malformed = 0;
  const onMalformed = (m: { source: string; line: number; reason: string }) => {
    malformed++;
    io.stderr.write(`${m.source}:${m.line}: ${m.reason}\n`);
  };
  const batch: BatchInput[] = inputs.map((f) => ({
    name: f.real,
    firstTimeMs: f.firstTimeMs,
    open: () => readEventBatches(f.real, { onMalformed, source: f.shown }),
  }));
  const groups = await detectBatch(batch, options);
  for (const g of groups) await write(io.stdout, `${JSON.stringify(toAlertJson(g))}\n`);
  return malformed > 0 ? 3 : 0;
}

function parseArgs(args: string[]): { configFlag: string | undefined; paths: string[] | 'help' } {
  let configFlag: string | undefined;
  const paths: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === '--') {
      paths.push(...args.slice(i + 1));
      break;
    }
    if (a === '-h' || a === '--help') return { configFlag, paths: 'help' };
    if (a === '--config' || a.startsWith('--config=')) {
      const value = a === '--config' ? args[++i] : a.slice('--config='.length);
      if (!value) throw new UsageError(`--config needs a FILE\n${USAGE}`);
      configFlag = value;
    } else if (a.startsWith('-') && a !== '-') {
      throw new UsageError(`unknown option ${a}\n${USAGE}`);
    } else paths.push(a);
  }
  if (paths.length === 0) throw new UsageError(`detect needs at least one PATH\n${USAGE}`);
  return { configFlag, paths };
}

/**
 * Worker threads that parse large JSON Lines inputs beside the detecting thread (which parses too when
 * it would otherwise wait): `KV_WARDEN_DETECT_THREADS`, 0 = none; by default one per further core, up to 3.
 */
function parseThreads(env: NodeJS.ProcessEnv): number {
  const raw = env.KV_WARDEN_DETECT_THREADS;
  if (raw === undefined || raw === '') return Math.min(availableParallelism() - 1, 3);
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0 || n > 64)
    throw new ConfigError('KV_WARDEN_DETECT_THREADS', 'must be a whole number from 0 to 64');
  return n;
}

interface InputFile {
  real: string;
  shown: string;
  size: number;
}

/** Every file under the given paths (folders walked recursively, sorted), each once by real path. */
async function collectFiles(paths: string[], cwd: string): Promise<InputFile[]> {
  const out = new Map<string, { shown: string; size: number }>();
  const dirs = new Set<string>();
  const visit = async (shown: string): Promise<void> => {
    const abs = path.resolve(cwd, shown);
    let info: Awaited<ReturnType<typeof stat>>;
    try {
      info = await stat(abs);
    } catch {
      throw new UsageError(`PATH ${shown}: no such file or directory`);
    }
    const real = await realpath(abs);
    if (info.isDirectory()) {
      if (dirs.has(real)) return;
      dirs.add(real);
      const names = (await readdir(abs)).sort();
      for (const name of names) await visit(path.join(shown, name));
    } else if (info.isFile() && !out.has(real)) out.set(real, { shown, size: info.size });
  };
  for (const p of paths) await visit(p);
  return [...out].map(([real, { shown, size }]) => ({ real, shown, size }));
}

/** Time of a file's first audit event, read as a stream and closed at once (malformed lines ignored here). */
async function firstEventTime(file: string): Promise<number | undefined> {
  const it = readAuditFile(file, { onMalformed: () => {} }) as AsyncGenerator<AuditItem>;
  try {
    for await (const item of it) if (item.kind === 'audit') return item.event.timeMs;
  } finally {
    await it.return(undefined);
  }
  return undefined;
}

function write(stream: NodeJS.WritableStream, text: string): Promise<void> {
  return new Promise((resolve) => {
    if (stream.write(text)) resolve();
    else stream.once('drain', () => resolve());
  });
}
