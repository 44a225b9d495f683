/**
 * Benchmark of `kv-warden detect` (issue 2): generates ≥ 1,000,000 realistic AuditEvent records
 * (~1.2 KB each, one day of 40 vaults, slightly out of order as in real PT1H.json blobs) as JSON Lines,
 * then measures in separate child processes (so neither pollutes the other's memory):
 *   (a) a bare loop that reads lines and only JSON.parses each one;
 *   (b) the real detect path: `kv-warden detect FILE` with its defaults (on more than one core: parse
 *       workers beside a heap-capped detection thread; see src/detect/parallel);
 *   (c) the same command on one thread (`KV_WARDEN_DETECT_THREADS=0`), for reference.
 * Targets: detect ≥ 0.5 × bare-parse throughput; detect peak RSS ≤ 200 MB.
 * BENCH_SCALE scales the record count (1 = 1,000,000).
 */
import { spawn } from 'node:child_process';
import { createReadStream, createWriteStream, mkdtempSync, rmSync, statSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import type { BenchResult } from './types.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const DAY = 86_400_000;
const START = Date.parse('2025-06-02T00:00:00Z');

interface ChildResult {
  /** Wall time. */
  ms: number;
  /** CPU time (user + system) of the measured part: stable when other work shares the cores. */
  cpuMs: number;
  records: number;
  maxRssKb: number;
  exitCode?: number;
  alerts?: number;
}

// ---------------------------------------------------------------- data generation

/** A tiny deterministic PRNG so every run writes the same file. */
function prng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const hex = (n: number, width: number) => n.toString(16).padStart(width, '0').slice(-width);
const guid = (a: number, b: number) =>
  `${hex(a, 8)}-${hex(b, 4)}-4${hex(a, 3)}-8${hex(b, 3)}-${hex(a * 7919 + b, 12)}`;
const azTime = (ms: number) => new Date(ms).toISOString().replace('Z', '0000Z');

/** Builds record i of n: a realistic mix of data-plane reads, failures, control-plane polls and a few attacks. */
function makeRecord(i: number, n: number, rnd: () => number): string {
  const vaultNo = Math.floor(rnd() * 40);
  const vault = `kv-prod-${hex(vaultNo, 3)}`;
  const rid = `/SUBSCRIPTIONS/00000000-0000-4000-8000-000000000001/RESOURCEGROUPS/RG-APPS/PROVIDERS/MICROSOFT.KEYVAULT/VAULTS/${vault.toUpperCase()}`;
  // Blob order is receive order: up to 3 minutes out of event-time order.
  const t = START + Math.floor((i / n) * DAY) - Math.floor(rnd() * 180_000);
  const appNo = vaultNo * 5 + Math.floor(rnd() * 5);
  const mi = { oid: guid(appNo, 1), appid: guid(appNo, 2) };
  const user = Math.floor(rnd() * 60);
  const userClaim = `{"oid":"${guid(user, 9)}","appid":"04b07795-8ddb-461a-bbee-02f9e1bf7b46","scp":"user_impersonation","appidacr":"0","xms_az_nwperimid":[],"upn":"user${user}@contoso.com","ipaddr":"203.0.113.${user}","unique_name":"user${user}@contoso.com","amr":"pwd"}`;
  const miClaim = `{"oid":"${mi.oid}","appid":"${mi.appid}","xms_mirid":"/subscriptions/00000000-0000-4000-8000-000000000001/resourcegroups/rg-apps/providers/Microsoft.ManagedIdentity/userAssignedIdentities/app-${appNo}-mi","xms_az_nwperimid":[]}`;
  const secret = `app-secret-${Math.floor(rnd() * 12)}`;
  const corr = guid(i, 7);
  const ua =
    'azsdk-net-Security.KeyVault.Secrets/4.6.0 (.NET 8.0.4; Ubuntu 22.04.4 LTS; X64) azsdk-net-Identity/1.11.0';
  const dataUri = (p: string) => `https://${vault}.vault.azure.net/${p}?api-version=7.5`;
  const tail = (sig: string, dur: number) =>
    `"resourceId":"${rid}","operationVersion":"7.5","resultSignature":"${sig}","durationMs":"${dur}"}`;
  const roll = rnd();
  const head = (op: string) =>
    `{"time":"${azTime(t)}","category":"AuditEvent","operationName":"${op}","resultType":"Success","correlationId":"${corr}",`;
  if (roll < 0.72) {
    const ver = hex(Math.floor(rnd() * 2 ** 31), 8).repeat(4);
    return `${head('SecretGet')}"callerIpAddress":"10.20.${vaultNo}.${appNo % 250}","identity":{"claim":${miClaim}},"properties":{"id":"https://${vault}.vault.azure.net/secrets/${secret}/${ver}","clientInfo":"${ua}","httpStatusCode":200,"requestUri":"${dataUri(`secrets/${secret}/`)}","isRbacAuthorized":true,"appliedAssignmentId":"${guid(appNo, 5)}","tlsVersion":"TLS1_3","privateEndpointId":"/subscriptions/00000000-0000-4000-8000-000000000001/resourceGroups/rg-net/providers/Microsoft.Network/privateEndpoints/pe-${vault}","secretProperties":{"attributes":{"enabled":true,"exp":1775199200}}},${tail('OK', 8 + (i % 30))}`;
  }
  if (roll < 0.8) {
    const op = ['KeyGet', 'KeySign', 'KeyUnwrap', 'KeyWrap'][i % 4]!;
    return `${head(op)}"callerIpAddress":"10.20.${vaultNo}.${appNo % 250}","identity":{"claim":${miClaim}},"properties":{"id":"https://${vault}.vault.azure.net/keys/signing-key-${i % 3}/${hex(i, 32)}","clientInfo":"azsdk-net-Security.KeyVault.Keys/4.6.0 (.NET 8.0.4; Ubuntu 22.04.4 LTS; X64) azsdk-net-Identity/1.11.0","httpStatusCode":200,"requestUri":"${dataUri(`keys/signing-key-${i % 3}/${hex(i, 32)}/sign`)}","isRbacAuthorized":true,"appliedAssignmentId":"${guid(appNo, 5)}","tlsVersion":"TLS1_3","keyProperties":{"type":"RSA","size":2048,"operations":["sign","verify","wrapKey","unwrapKey"],"attributes":{"enabled":true,"exp":1775660989,"hsmPlatform":"0"}}},${tail('OK', 20 + (i % 40))}`;
  }
  if (roll < 0.85) {
    const op = rnd() < 0.3 ? 'SecretList' : 'SecretGet';
    const id = op === 'SecretList' ? '' : `"id":"https://${vault}.vault.azure.net/secrets/${secret}",`;
    return `${head(op)}"callerIpAddress":"203.0.113.${user}","identity":{"claim":${userClaim}},"properties":{${id}"clientInfo":"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/125.0.0.0 Safari/537.36 Edg/125.0.0.0","httpStatusCode":200,"requestUri":"${dataUri(op === 'SecretList' ? 'secrets' : `secrets/${secret}`)}&_=171204226${i % 10000}","isAccessPolicyMatch":true,"tlsVersion":"TLS1_3"},${tail('OK', 30)}`;
  }
  if (roll < 0.89) {
    return `${head('SecretGet')}"resultDescription":"Caller is not authorized to perform action on resource.\\nIf role assignments, deny assignments or role definitions were changed recently, please observe propagation time.\\nCaller: appid=04b07795-8ddb-461a-bbee-02f9e1bf7b46;oid=${guid(user, 9)};iss=https://sts.windows.net/11111111-2222-4333-8444-555555555555/\\nAction: 'Microsoft.KeyVault/vaults/secrets/getSecret/action'\\nAssignment: (not found)\\nVault: ${vault};location=westeurope","callerIpAddress":"203.0.113.${user}","identity":{"claim":${userClaim}},"properties":{"id":"https://${vault}.vault.azure.net/secrets/${secret}","clientInfo":"04b07795-8ddb-461a-bbee-02f9e1bf7b46","httpStatusCode":403,"requestUri":"${dataUri(`secrets/${secret}`)}","isRbacAuthorized":false,"tlsVersion":"TLS1_3"},${tail('Forbidden', 3)}`;
  }
  if (roll < 0.92) {
    return `${head('Authentication')}"resultSignature":"Unauthorized","resultDescription":"AKV10000: Request is missing a Bearer or PoP token.","callerIpAddress":"10.20.${vaultNo}.${appNo % 250}","properties":{"clientInfo":"${ua}","httpStatusCode":401,"requestUri":"${dataUri(`secrets/${secret}/`)}","tlsVersion":"TLS1_3","padding":"${'x'.repeat(420)}"},"resourceId":"${rid}","operationVersion":"7.5","durationMs":"1"}`;
  }
  if (roll < 0.95) {
    const acl =
      vaultNo === 7 && i > n / 2
        ? '{"bypass":"AzureServices","defaultAction":"Allow"}'
        : '{"bypass":"AzureServices","defaultAction":"Deny"}';
    const op = vaultNo === 7 && i > n / 2 && i < n / 2 + 2000 ? 'VaultPatch' : 'VaultGet';
    return `${head(op)}"callerIpAddress":"20.50.0.10","identity":{"claim":{"http://schemas.microsoft.com/identity/claims/objectidentifier":"f6666666-6666-4666-8666-666666666666","appid":"509e4652-da8d-478d-a730-e9d4a1996ca4"}},"properties":{"id":"https://${vault}.vault.azure.net/","clientInfo":"AzureResourceGraph.IngestionWorkerService.global/1.24.1.2","requestUri":"https://management.azure.com/subscriptions/00000000-0000-4000-8000-000000000001/resourceGroups/rg-apps/providers/Microsoft.KeyVault/vaults/${vault}?api-version=2023-07-01","httpStatusCode":200,"properties":{"sku":{"Family":"A","Name":"Standard","Capacity":null},"tenantId":"11111111-2222-4333-8444-555555555555","networkAcls":${acl},"enabledForDeployment":false,"enabledForDiskEncryption":false,"enabledForTemplateDeployment":false,"enableSoftDelete":true,"softDeleteRetentionInDays":90,"enableRbacAuthorization":true,"enablePurgeProtection":true}},"resourceId":"${rid}","operationVersion":"2023-07-01","resultSignature":"OK","durationMs":"45"}`;
  }
  const status = roll < 0.97 ? 404 : roll < 0.985 ? 429 : roll < 0.99995 ? 200 : 204;
  const op = status === 204 ? 'SecretPurge' : status === 200 ? 'SecretSet' : 'SecretGet';
  const sig = { 404: 'Not Found', 429: 'Too Many Requests', 200: 'OK', 204: 'No Content' }[status];
  const path = status === 204 ? `deletedsecrets/${secret}` : `secrets/${secret}`;
  return `${head(op)}"callerIpAddress":"203.0.113.${user}","identity":{"claim":${userClaim}},"properties":{"id":"https://${vault}.vault.azure.net/${path}","clientInfo":"AZURECLI/2.61.0 (DEB) azsdk-python-keyvault-secrets/4.8.0 Python/3.11.8 (Linux-5.15.0-1064-azure-x86_64-with-glibc2.35)","httpStatusCode":${status},"requestUri":"${dataUri(path)}","isAccessPolicyMatch":true,"tlsVersion":"TLS1_3","secretProperties":{"type":"text/plain","attributes":{"enabled":true}}},${tail(sig ?? 'OK', 12)}`;
}

/** Writes n records as JSON Lines; returns the byte size. */
async function generate(file: string, n: number): Promise<number> {
  const rnd = prng(42);
  const out = createWriteStream(file);
  const BATCH = 2000;
  for (let i = 0; i < n; i += BATCH) {
    const lines: string[] = [];
    for (let j = i; j < Math.min(n, i + BATCH); j++) lines.push(makeRecord(j, n, rnd));
    if (!out.write(`${lines.join('\n')}\n`)) await new Promise<void>((r) => out.once('drain', () => r()));
  }
  await new Promise<void>((resolve, reject) =>
    out.end((err?: Error | null) => (err ? reject(err) : resolve())),
  );
  return statSync(file).size;
}

// ---------------------------------------------------------------- child processes

const cpuNow = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};

/**
 * (a) the bare baseline: read chunks, split lines, JSON.parse each. 64 KiB reads, as detect does:
 * with 1 MiB reads each decoded chunk is a large-object string in freshly mapped memory, and the
 * page faults (tens of µs each in this VM, depending on the host) made the baseline 1.5–6× slower
 * and its speed swing from run to run.
 */
async function bareParse(file: string): Promise<ChildResult> {
  const started = performance.now();
  const cpu0 = cpuNow();
  let records = 0;
  let rest = '';
  for await (const chunk of createReadStream(file, { encoding: 'utf8', highWaterMark: 64 * 1024 })) {
    const text = rest + (chunk as string);
    let start = 0;
    for (let nl = text.indexOf('\n'); nl !== -1; nl = text.indexOf('\n', start)) {
      if (nl > start) {
        JSON.parse(text.slice(start, nl));
        records++;
      }
      start = nl + 1;
    }
    rest = text.slice(start);
  }
  if (rest.trim()) {
    JSON.parse(rest);
    records++;
  }
  return {
    ms: performance.now() - started,
    cpuMs: cpuNow() - cpu0,
    records,
    maxRssKb: process.resourceUsage().maxRSS,
  };
}

/** The named variables of this process's environment (the command sees nothing else). */
function pickEnv(...names: string[]): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const n of names) if (process.env[n] !== undefined) env[n] = process.env[n];
  return env;
}

/** (b) the real command: `kv-warden detect FILE`, output counted and discarded. */
async function realDetect(file: string): Promise<ChildResult> {
  const { main } = await import('../src/cli.js');
  // Load (and transpile) the command's modules before timing: startup is not throughput.
  await import('../src/commands/detect.js');
  let alerts = 0;
  const stdout = new Writable({
    write(chunk: Buffer, _enc, cb) {
      alerts += chunk.toString('utf8').split('\n').length - 1;
      cb();
    },
  });
  const stderr = new Writable({ write: (_c, _e, cb) => cb() });
  const started = performance.now();
  const cpu0 = cpuNow();
  const env = pickEnv('KV_WARDEN_DETECT_THREADS');
  const exitCode = await main(['detect', file], { stdout, stderr, env, cwd: path.dirname(file) });
  const ms = performance.now() - started;
  return {
    ms,
    cpuMs: cpuNow() - cpu0,
    records: 0,
    maxRssKb: process.resourceUsage().maxRSS,
    exitCode,
    alerts,
  };
}

function runChild(mode: 'parse' | 'detect', file: string, env: NodeJS.ProcessEnv = {}): Promise<ChildResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      [path.join(ROOT, 'bin/run-ts.js'), path.join(ROOT, 'bench/detect.ts')],
      {
        cwd: ROOT,
        env: { ...process.env, ...env, KVW_BENCH_CHILD: mode, KVW_BENCH_FILE: file },
        stdio: ['ignore', 'pipe', 'inherit'],
      },
    );
    let out = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
    });
    child.on('error', reject);
    child.on('close', (code) => {
      const last = out.trim().split('\n').at(-1);
      if (code !== 0 || !last) reject(new Error(`bench child ${mode} exited ${code}: ${out.slice(-500)}`));
      else resolve(JSON.parse(last) as ChildResult);
    });
  });
}

// ---------------------------------------------------------------- entry points

export async function run(): Promise<BenchResult[]> {
  const scale = Number(process.env.BENCH_SCALE ?? 1);
  const n = Math.max(2000, Math.round(1_000_000 * scale));
  const dir = mkdtempSync(path.join(tmpdir(), 'kvw-bench-detect-'));
  const file = path.join(dir, 'PT1H.json');
  try {
    const genStart = performance.now();
    const bytes = await generate(file, n);
    const genMs = performance.now() - genStart;
    // Alternate the two measurements; keep the best wall time and the best CPU time of each (the cores
    // are shared with other work, so single runs are noisy) and the highest peak RSS.
    const rounds = Number(process.env.BENCH_DETECT_ROUNDS ?? 2);
    const parses: ChildResult[] = [];
    const detects: ChildResult[] = [];
    const singles: ChildResult[] = [];
    for (let r = 0; r < rounds; r++) {
      parses.push(await runChild('parse', file));
      detects.push(await runChild('detect', file));
      singles.push(await runChild('detect', file, { KV_WARDEN_DETECT_THREADS: '0' }));
    }
    const best = (xs: ChildResult[], k: 'ms' | 'cpuMs') => Math.min(...xs.map((x) => x[k]));
    const parseWall = (n / best(parses, 'ms')) * 1000;
    const detectWall = (n / best(detects, 'ms')) * 1000;
    const parseCpu = (n / best(parses, 'cpuMs')) * 1000;
    const detectCpu = (n / best(detects, 'cpuMs')) * 1000;
    const ratio = detectWall / parseWall;
    const cpuRatio = detectCpu / parseCpu;
    const rssMb = Math.max(...detects.map((d) => d.maxRssKb)) / 1024;
    const singleWall = (n / best(singles, 'ms')) * 1000;
    const singleRssMb = Math.max(...singles.map((d) => d.maxRssKb)) / 1024;
    const threads =
      process.env.KV_WARDEN_DETECT_THREADS ?? `${Math.min(availableParallelism() - 1, 3)} (default)`;
    const parseRssMb = Math.max(...parses.map((d) => d.maxRssKb)) / 1024;
    const last = detects[detects.length - 1]!;
    const note = `parse workers ${threads}, ${availableParallelism()} cores; ${n.toLocaleString('en-US')} records, ${(bytes / 1e6).toFixed(0)} MB (${Math.round(bytes / n)} B/record), generated in ${(genMs / 1000).toFixed(1)} s; ${last.alerts} alerts, exit ${last.exitCode}; best of ${rounds}`;
    return [
      {
        name: 'detect: bare JSON.parse loop',
        metric: 'records/s',
        value: parseWall,
        note: `${Math.round(parseCpu)} records/cpu-s, peak RSS ${parseRssMb.toFixed(0)} MB`,
      },
      {
        name: 'detect: kv-warden detect throughput',
        metric: 'records/s',
        value: detectWall,
        baseline: parseWall,
        ratio,
        target: '>= 0.5 x bare parse',
        pass: ratio >= 0.5,
        note,
      },
      {
        name: 'detect: one thread (THREADS=0)',
        metric: 'records/s',
        value: singleWall,
        baseline: parseWall,
        ratio: singleWall / parseWall,
        note: `peak RSS ${singleRssMb.toFixed(0)} MB; informational`,
      },
      {
        name: 'detect: throughput per CPU-second',
        metric: 'records/cpu-s',
        value: detectCpu,
        baseline: parseCpu,
        ratio: cpuRatio,
        note: 'CPU time of all threads (parse workers, detection, GC); informational',
      },
      {
        name: 'detect: kv-warden detect peak RSS',
        metric: 'MB',
        value: rssMb,
        target: '<= 200 MB',
        pass: rssMb <= 200,
      },
    ];
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const childMode = process.env.KVW_BENCH_CHILD;
if (childMode === 'generate') {
  // Profiling aid: KVW_BENCH_CHILD=generate KVW_BENCH_FILE=… BENCH_SCALE=… node bin/run-ts.js bench/detect.ts
  const n = Math.max(2000, Math.round(1_000_000 * Number(process.env.BENCH_SCALE ?? 1)));
  process.stdout.write(`${await generate(process.env.KVW_BENCH_FILE ?? 'PT1H.json', n)} bytes\n`);
} else if (childMode === 'parse' || childMode === 'detect') {
  const file = process.env.KVW_BENCH_FILE ?? '';
  const result = childMode === 'parse' ? await bareParse(file) : await realDetect(file);
  process.stdout.write(`${JSON.stringify(result)}\n`);
}
