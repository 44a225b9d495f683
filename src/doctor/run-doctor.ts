import type { TokenCredential } from '@azure/core-auth';
import { cloudEndpoints } from '../azure/cloud-endpoints.js';
import { defaultCredential } from '../azure/credential.js';
import type { Config } from '../config/load.js';
import { azureChecks } from './azure-checks.js';
import { chatChecks } from './chat-checks.js';
import { type CheckOutcome, type DoctorCheck, runCheck } from './check.js';
import type { KeyVaultProbeOptions } from './key-vault-check.js';
import { requiredRoles } from './roles.js';

export interface DoctorOptions {
  readonly out: NodeJS.WritableStream;
  /** Injected in tests; DefaultAzureCredential otherwise (created only if an Azure check needs it). */
  readonly credential?: TokenCredential;
  readonly timeoutMs?: number;
  /** Key Vault URL and client options (tests: a loopback fake and its CA). */
  readonly keyVault?: KeyVaultProbeOptions;
}

/** Runs every check the configuration calls for, prints one line each and the role list; returns problems. */
export async function runDoctor(config: Config, options: DoctorOptions): Promise<string[]> {
  const endpoints = cloudEndpoints(config.azure);
  let credential: Promise<TokenCredential> | undefined;
  const getCredential = () => {
    credential ??= options.credential ? Promise.resolve(options.credential) : defaultCredential(endpoints);
    return credential;
  };
  const checks: DoctorCheck[] = [
    {
      name: 'configuration',
      async run() {
        return { ok: true, detail: config.file ? `${config.file} is valid` : 'no file: embedded defaults' };
      },
    },
    ...roleChecks(config),
    ...azureChecks(config, endpoints, getCredential, options.keyVault),
    ...chatChecks(config),
  ];
  const problems: string[] = [];
  for (const check of checks) {
    const outcome: CheckOutcome = await runCheck(check, options.timeoutMs ?? 20_000);
    if (outcome.ok) {
      options.out.write(`ok    ${check.name}: ${outcome.detail}\n`);
    } else {
      const line = `${check.name}: ${outcome.problem}${outcome.fix ? ` (fix: ${outcome.fix})` : ''}`;
      problems.push(line);
      options.out.write(`FAIL  ${line}\n`);
    }
  }
  options.out.write('\nleast-privilege roles for this configuration (managed identity):\n');
  for (const need of requiredRoles(config)) {
    options.out.write(`  - ${need.role} on ${need.scope}: ${need.why}\n`);
  }
  options.out.write(
    problems.length === 0 ? '\nall checks passed\n' : `\n${problems.length} problem(s) found\n`,
  );
  return problems;
}

/** The two-person rule must be satisfiable: someone other than each requester must be able to approve. */
function roleChecks(config: Config): DoctorCheck[] {
  const { requester, approver } = config.roles;
  if (requester.length === 0) return [];
  return [
    {
      name: 'roles: two-person rule',
      async run() {
        const stuck = requester.filter((r) => !approver.some((a) => a !== r));
        return stuck.length === 0
          ? { ok: true, detail: `${requester.length} requester(s), ${approver.length} approver(s)` }
          : {
              ok: false,
              problem: `no approver other than themselves for ${stuck.join(', ')}`,
              fix: 'add a different person to roles.approver',
            };
      },
    },
  ];
}
