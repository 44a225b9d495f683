/** One doctor check: a name and an async probe that says ok (with detail) or names the problem and the fix. */
export interface DoctorCheck {
  readonly name: string;
  run(): Promise<CheckOutcome>;
}

export type CheckOutcome =
  | { readonly ok: true; readonly detail: string }
  | { readonly ok: false; readonly problem: string; readonly fix?: string };

/** Runs a probe with a time limit; a thrown error becomes a failed outcome with its (secret-free) message. */
export async function runCheck(check: DoctorCheck, timeoutMs: number): Promise<CheckOutcome> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      check.run(),
      new Promise<CheckOutcome>((resolve) => {
        timer = setTimeout(
          () => resolve({ ok: false, problem: `no answer within ${timeoutMs / 1000}s` }),
          timeoutMs,
        );
      }),
    ]);
  } catch (err) {
    return { ok: false, problem: describeAzureError(err) };
  } finally {
    clearTimeout(timer);
  }
}

/** A short, secret-free description of an SDK error: status, service code, first line of the message. */
export function describeAzureError(err: unknown): string {
  const e = err as { statusCode?: number; code?: string; message?: string; details?: { errorCode?: string } };
  const status = e.statusCode ? `HTTP ${e.statusCode}` : undefined;
  const code = e.details?.errorCode ?? e.code;
  const first = (e.message ?? String(err))
    .split('\n')[0]!
    .replace(/(AccountKey|SharedAccessKey|sig)=[^;&\s]+/gi, '$1=…');
  return [status, code, first].filter(Boolean).join(' ').slice(0, 300);
}
