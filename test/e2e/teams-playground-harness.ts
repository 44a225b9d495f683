import { type ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';

/**
 * Starts Microsoft 365 Agents Playground (the offline Teams-like client) against the bot, with a
 * preload that pins its listen() to 127.0.0.1 and refuses non-loopback connections (it probes
 * 169.254.169.254 at start even with telemetry off), and no browser of its own.
 */
export async function startPlayground(
  botEndpoint: string,
  port: number,
): Promise<{ child: ChildProcess; url: string; output: () => string }> {
  const cli = path.resolve('node_modules/@microsoft/m365agentsplayground/cli.js');
  const preload = path.resolve('test/e2e/teams-loopback-preload.cjs');
  const child = spawn(
    process.execPath,
    [
      '-r',
      preload,
      cli,
      '-e',
      botEndpoint,
      '-c',
      'msteams',
      '-p',
      String(port),
      '--service-url',
      `http://127.0.0.1:${port}/_connector`,
      '--disable-telemetry',
    ],
    {
      env: { PATH: process.env.PATH, HOME: process.env.HOME, TEAMSAPPTESTER_BROWSER: 'none' },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let out = '';
  child.stdout?.on('data', (c: Buffer) => {
    out += c.toString();
  });
  child.stderr?.on('data', (c: Buffer) => {
    out += c.toString();
  });
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`Playground did not start:\n${out}`)), 60_000);
    const check = setInterval(() => {
      if (out.includes(`Listening on ${port}`)) {
        clearTimeout(timer);
        clearInterval(check);
        resolve();
      }
    }, 100);
    child.once('exit', (code) => {
      clearTimeout(timer);
      clearInterval(check);
      reject(new Error(`Playground exited with ${code}:\n${out}`));
    });
  });
  return { child, url: `http://127.0.0.1:${port}/`, output: () => out };
}
