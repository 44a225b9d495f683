import type { Detection } from '../detect/detection.js';
import type { Store } from '../store/store.js';

/** Store collection: detector checkpoint (`detector`) and source offsets. */
export const CHECKPOINTS = 'checkpoints';
export const DETECTOR_CHECKPOINT = 'detector';

/** An event key with its event time, as the Store's seen set takes it. */
export interface SeenMark {
  readonly key: string;
  readonly timeMs: number;
}

/**
 * The stored pipeline checkpoint: the detector state, the detections not yet recorded as alerts, and the
 * event keys this state covers that may not be marked seen in the store yet (marks are written right
 * after the checkpoint, so a crash between the two leaves them here, to be marked on the next start).
 */
export interface PipelineCheckpoint {
  readonly v: 3;
  readonly engine: unknown;
  readonly unrecorded: readonly Detection[];
  /** `[key, timeMs]` pairs. */
  readonly unmarked: ReadonlyArray<readonly [string, number]>;
}

export interface LoadedPipelineCheckpoint {
  engine?: unknown;
  unrecorded: Detection[];
  unmarked: SeenMark[];
}

/** Reads the pipeline checkpoint (also the older forms: v2 without `unmarked`, v1 the bare detector state). */
export async function loadPipelineCheckpoint(store: Store): Promise<LoadedPipelineCheckpoint> {
  const saved = (await store.get<unknown>(CHECKPOINTS, DETECTOR_CHECKPOINT))?.value;
  if (saved === undefined) return { unrecorded: [], unmarked: [] };
  const c = saved as { v?: unknown; engine?: unknown; unrecorded?: Detection[]; unmarked?: unknown };
  if (c && typeof c === 'object' && (c.v === 2 || c.v === 3)) {
    const unmarked = Array.isArray(c.unmarked)
      ? (c.unmarked as Array<[string, number]>).map(([key, timeMs]) => ({ key, timeMs }))
      : [];
    return { engine: c.engine, unrecorded: [...(c.unrecorded ?? [])], unmarked };
  }
  return { engine: saved, unrecorded: [], unmarked: [] };
}

/**
 * Creates or replaces a checkpoint document (one writer per id). `knownVersion` (what the last call
 * returned) saves a read; on a conflict the current version is read and the write retried.
 * Returns the stored version.
 */
export async function saveCheckpoint(
  store: Store,
  id: string,
  value: unknown,
  knownVersion?: string,
): Promise<string> {
  let version = knownVersion;
  for (let attempt = 0; attempt < 5; attempt++) {
    if (version === undefined) version = (await store.get(CHECKPOINTS, id))?.version;
    try {
      if (version !== undefined) return (await store.update(CHECKPOINTS, id, value, version)).version;
      const created = await store.create(CHECKPOINTS, id, value);
      if (created) return created.version;
    } catch (err) {
      if ((err as { code?: string }).code !== 'KVW_CONFLICT' || attempt === 4) throw err;
    }
    version = undefined;
  }
  throw new Error(`checkpoint ${id}: could not be saved after repeated conflicts`);
}
