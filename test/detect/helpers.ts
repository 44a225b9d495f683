import { Writable } from 'node:stream';
import type { AuditEvent } from '../../src/audit/audit-event.js';
import { main } from '../../src/cli.js';
import { loadConfig } from '../../src/config/load.js';
import type { Detection } from '../../src/detect/detection.js';
import { DetectionEngine, type EngineOptions } from '../../src/detect/engine.js';

/** Engine options from a YAML config text (validated by the real loader). */
export function options(yaml = ''): EngineOptions {
  const cfg = loadConfig({ text: yaml, env: {} });
  return { detection: cfg.detection, vaults: cfg.vaults };
}

/** Pushes every event in the given order, flushes, returns all detections. */
export function detect(events: readonly AuditEvent[], yaml = ''): Detection[] {
  const engine = new DetectionEngine(options(yaml));
  const out: Detection[] = [];
  for (const e of events) out.push(...engine.push(e));
  out.push(...engine.flush());
  return out;
}

/** Detections of one rule. */
export function fired(events: readonly AuditEvent[], rule: string, yaml = ''): Detection[] {
  return detect(events, yaml).filter((d) => d.rule === rule);
}

/** A deterministic pseudo-random shuffle that moves each event by less than `maxShiftMs` of event time. */
export function jitter<T extends { timeMs: number }>(
  events: readonly T[],
  maxShiftMs: number,
  seed = 7,
): T[] {
  let s = seed;
  const rnd = () => {
    s = (s * 1103515245 + 12345) % 2147483648;
    return s / 2147483648;
  };
  // Sort by a perturbed arrival time: arrival = time + U(0, maxShift).
  return events
    .map((e) => ({ e, arrival: e.timeMs + rnd() * maxShiftMs }))
    .sort((a, b) => a.arrival - b.arrival)
    .map((x) => x.e);
}

/** What one `kv-warden detect` run printed and returned. */
export interface DetectRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `kv-warden detect ARGS` through the real CLI entry point, capturing its output. */
export async function runDetect(
  args: string[],
  cwd: string,
  env: NodeJS.ProcessEnv = {},
): Promise<DetectRun> {
  let stdout = '';
  let stderr = '';
  const sink = (f: (s: string) => void) =>
    new Writable({
      write(chunk: Buffer, _e, cb) {
        f(chunk.toString('utf8'));
        cb();
      },
    });
  const code = await main(['detect', ...args], {
    stdout: sink((s) => {
      stdout += s;
    }),
    stderr: sink((s) => {
      stderr += s;
    }),
    env,
    cwd,
    stopSignal: new Promise(() => {}),
  });
  return { code, stdout, stderr };
}
