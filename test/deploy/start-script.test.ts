import { spawn } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from './bicep-text.js';

/**
 * Runs deploy/start.sh for real against a stub `bin/kv-warden.js` that records how it was started, so the test
 * shows what App Service will run: serve in the foreground (same pid as the shell) and the forwarder beside it.
 */
describe('deploy/start.sh', () => {
  it('starts the forwarder in the background and execs serve with the configured file', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'kvw-start-'));
    mkdirSync(path.join(dir, 'bin'));
    mkdirSync(path.join(dir, 'deploy'));
    copyFileSync(path.join(ROOT, 'deploy/start.sh'), path.join(dir, 'deploy/start.sh'));
    const log = path.join(dir, 'calls.log');
    writeFileSync(
      path.join(dir, 'bin/kv-warden.js'),
      `const fs = require('node:fs');
fs.appendFileSync(${JSON.stringify(log)}, process.pid + ' ' + process.argv.slice(2).join(' ') + '\\n');
if (process.argv[2] === 'serve') {
  // Wait until the forwarder has started, then leave (App Service would keep serve running).
  const t = setInterval(() => {
    if (fs.readFileSync(${JSON.stringify(log)}, 'utf8').includes(' forward ')) { clearInterval(t); process.exit(0); }
  }, 20);
  setTimeout(() => process.exit(3), 10000);
}`,
    );
    writeFileSync(path.join(dir, 'package.json'), '{"type":"commonjs"}');
    const child = spawn('sh', ['deploy/start.sh'], {
      cwd: dir,
      detached: true,
      stdio: 'ignore',
      env: { PATH: process.env.PATH, KV_WARDEN_CONFIG: 'my.yaml' },
    });
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    try {
      process.kill(-child.pid!, 'SIGTERM'); // the forwarder loop lives on in the process group
    } catch {
      // already gone
    }
    expect(code).toBe(0);
    const calls = readFileSync(log, 'utf8').trim().split('\n');
    const serve = calls.find((c) => c.includes(' serve '));
    const forward = calls.find((c) => c.includes(' forward '));
    expect(serve).toBe(`${child.pid} serve --config my.yaml`);
    expect(forward).toMatch(/^\d+ forward --config my\.yaml$/);
    expect(forward!.split(' ')[0]).not.toBe(String(child.pid));
  });
});
