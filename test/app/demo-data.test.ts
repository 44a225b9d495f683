import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildDemoFiles } from '../../demo/build-demo.js';
import { DEMO_AUDIT_LOGS, withDemoDefaults } from '../../src/app/demo.js';
import { DefaultIntakePipeline, type DetectionRecorder } from '../../src/app/intake-pipeline.js';
import { loadConfig } from '../../src/config/load.js';
import type { Detection } from '../../src/detect/detection.js';
import { DetectionEngine } from '../../src/detect/engine.js';
import { FolderSource } from '../../src/ingest/folder/folder-source.js';
import { listFiles } from '../../src/ingest/folder/list-files.js';
import { MemoryStore } from '../../src/store/memory-store.js';
import { FakeClock } from '../../src/util/clock.js';
import { silentLogger } from '../../src/util/logger.js';

describe('bundled demo data', () => {
  it('is exactly what demo/generate.ts produces (deterministic and up to date)', async () => {
    const expected = buildDemoFiles();
    const found = await listFiles(DEMO_AUDIT_LOGS);
    expect(found.map((f) => f.relative).sort()).toEqual([...expected.keys()].sort());
    for (const f of found.slice(0, 20)) expect(await readFile(f.path, 'utf8')).toBe(expected.get(f.relative));
    const bytes = found.reduce((n, f) => n + f.size, 0);
    expect(bytes).toBeLessThan(5 * 1024 * 1024);
  });

  it('fires at least five different rules and two expiry notices through the folder source and the intake pipeline', async () => {
    const config = withDemoDefaults(loadConfig({ env: {} }));
    const store = new MemoryStore();
    const detections: Detection[] = [];
    const alerts: DetectionRecorder = { record: async (d) => void detections.push(...d) };
    const notices: string[] = [];
    const clock = new FakeClock(Date.parse('2025-06-10T00:00:00Z'));
    const pipeline = new DefaultIntakePipeline({
      store,
      detector: new DetectionEngine({ detection: config.detection, vaults: config.vaults }),
      alerts,
      clock,
      logger: silentLogger,
      idleMs: 0,
      notices: { post: async (n) => void notices.push(`${n.type} ${n.vault} ${n.objectName}`) },
    });
    const malformed: string[] = [];
    const source = new FolderSource({
      root: DEMO_AUDIT_LOGS,
      name: 'demo',
      pipeline,
      store,
      logger: silentLogger,
      onMalformed: (m) => malformed.push(`${path.basename(m.source)}:${m.line}: ${m.reason}`),
    });
    await source.start();
    await source.stop();
    await pipeline.advanceToClock();
    expect(malformed).toEqual([]);
    const rules = new Set(detections.map((d) => d.rule));
    expect([...rules].sort()).toEqual(
      expect.arrayContaining([
        'access-granted-then-revoked',
        'access-policy-added',
        'bulk-enumeration',
        'destructive-operation',
        'failed-request-burst',
        'firewall-ip-added',
        'firewall-opened',
        'unexpected-app',
      ]),
    );
    expect(notices).toEqual([
      'SecretNearExpiry kv-prod-payments storage-conn',
      'CertificateNearExpiry kv-prod-identity login-tls',
    ]);
    // Ordinary activity is quiet: every detection comes from the planted attacks on day three.
    expect(detections.every((d) => d.time.startsWith('2025-06-03'))).toBe(true);
  });
});
