/**
 * Every error kv-warden raises on purpose: a code, a small class per kind, and one function
 * that turns any error into the sentence a chat user sees. Messages never contain secret values.
 */

export enum ErrorCode {
  Usage = 'KVW_USAGE',
  ConfigInvalid = 'KVW_CONFIG_INVALID',
  InputMalformed = 'KVW_INPUT_MALFORMED',
  NotAuthorised = 'KVW_NOT_AUTHORISED',
  UnknownUser = 'KVW_UNKNOWN_USER',
  Conflict = 'KVW_CONFLICT',
  NotFound = 'KVW_NOT_FOUND',
  InvalidTransition = 'KVW_INVALID_TRANSITION',
  InvalidParameter = 'KVW_INVALID_PARAMETER',
  QueryFailed = 'KVW_QUERY_FAILED',
  Throttled = 'KVW_THROTTLED',
  Upstream = 'KVW_UPSTREAM',
  RotationNotConfigured = 'KVW_ROTATION_NOT_CONFIGURED',
  RotationPlanChanged = 'KVW_ROTATION_PLAN_CHANGED',
  RotationExpired = 'KVW_ROTATION_EXPIRED',
  SelfApproval = 'KVW_SELF_APPROVAL',
  NotAvailable = 'KVW_NOT_AVAILABLE',
  Internal = 'KVW_INTERNAL',
}

/** What each code means, for the README and for users. A test checks every code is documented here. */
export const ERROR_DOCS: Record<ErrorCode, string> = {
  [ErrorCode.Usage]: 'The command line or chat command was not understood.',
  [ErrorCode.ConfigInvalid]:
    'The configuration file or environment has a bad value; the message names the key.',
  [ErrorCode.InputMalformed]:
    'Some audit input could not be read; each bad record is reported as file:line: reason.',
  [ErrorCode.NotAuthorised]: 'The person is known but does not hold the role the action needs.',
  [ErrorCode.UnknownUser]: 'The chat account is not mapped to a person in `people`; only `help` is allowed.',
  [ErrorCode.Conflict]: 'Someone else changed the same thing first; the current state is shown instead.',
  [ErrorCode.NotFound]: 'The alert, rotation or object named does not exist.',
  [ErrorCode.InvalidTransition]:
    'The action does not apply to the current state (for example closing a closed alert).',
  [ErrorCode.InvalidParameter]:
    'A query or command parameter failed validation (vault name, duration, principal).',
  [ErrorCode.QueryFailed]: 'Log Analytics or the local database could not run the query.',
  [ErrorCode.Throttled]: 'An Azure or chat API asked us to slow down; the work is retried.',
  [ErrorCode.Upstream]: 'An Azure or chat service failed or could not be reached; the work is retried.',
  [ErrorCode.RotationNotConfigured]:
    'The secret lacks the CredentialId / ProviderAddress / ValidityPeriodDays tags.',
  [ErrorCode.RotationPlanChanged]: 'The secret changed after the plan was approved, so the plan was not run.',
  [ErrorCode.RotationExpired]: 'The rotation request expired before it was approved.',
  [ErrorCode.SelfApproval]: 'The requester of a rotation cannot approve it, from any of their chat accounts.',
  [ErrorCode.NotAvailable]: 'The feature is not available in this build or configuration.',
  [ErrorCode.Internal]: 'An unexpected internal error; details are in the log.',
};

export interface CodedError extends Error {
  readonly code: ErrorCode;
  /** Safe to show a chat user. */
  readonly userMessage: string;
}

export class KvWardenError extends Error implements CodedError {
  readonly code: ErrorCode;
  readonly userMessage: string;
  constructor(code: ErrorCode, message: string, options?: { cause?: unknown; userMessage?: string }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.userMessage = options?.userMessage ?? message;
  }
}

export class UsageError extends KvWardenError {
  constructor(message: string) {
    super(ErrorCode.Usage, message);
  }
}

export class ConfigError extends KvWardenError {
  /** Dotted key path, e.g. `detection.failedBurst.window`. */
  readonly keyPath: string;
  constructor(keyPath: string, problem: string) {
    super(ErrorCode.ConfigInvalid, `configuration error at ${keyPath || '(root)'}: ${problem}`);
    this.keyPath = keyPath;
  }
}

export class NotAuthorisedError extends KvWardenError {
  constructor(person: string, needed: string, action: string) {
    super(ErrorCode.NotAuthorised, `${person} lacks role ${needed} for ${action}`, {
      userMessage: `You are not authorised to ${action}: it needs the \`${needed}\` role. Nothing was changed.`,
    });
  }
}

export class UnknownUserError extends KvWardenError {
  constructor(surface: string, userId: string) {
    super(ErrorCode.UnknownUser, `chat user ${surface}:${userId} is not mapped to a person`, {
      userMessage:
        'You are not authorised: your chat account is not mapped to a person in kv-warden (`people` in the configuration). Only `help` is available. Nothing was changed.',
    });
  }
}

/** A conditional write lost: the stored version moved on. */
export class ConflictError extends KvWardenError {
  constructor(what: string) {
    super(ErrorCode.Conflict, `conflicting update to ${what}`, {
      userMessage: 'Someone else updated this at the same moment; you are now seeing the current state.',
    });
  }
}

export class NotFoundError extends KvWardenError {
  constructor(what: string) {
    super(ErrorCode.NotFound, `${what} not found`);
  }
}

export class InvalidTransitionError extends KvWardenError {
  constructor(message: string) {
    super(ErrorCode.InvalidTransition, message);
  }
}

export class InvalidParameterError extends KvWardenError {
  readonly parameter: string;
  constructor(parameter: string, problem: string) {
    super(ErrorCode.InvalidParameter, `invalid ${parameter}: ${problem}`);
    this.parameter = parameter;
  }
}

/** Log Analytics or the local database could not run a query (not a throttle, not a permission problem). */
export class QueryFailedError extends KvWardenError {
  constructor(message: string, options: { cause?: unknown; userMessage?: string } = {}) {
    super(ErrorCode.QueryFailed, message, options);
  }
}

export class NotAvailableError extends KvWardenError {
  constructor(feature: string, why: string) {
    super(ErrorCode.NotAvailable, `${feature} is not available: ${why}`);
  }
}

export class UpstreamError extends KvWardenError {
  /** Milliseconds the upstream asked us to wait (Retry-After), when it said. */
  readonly retryAfterMs?: number;
  readonly transient: boolean;
  constructor(
    message: string,
    options: { cause?: unknown; retryAfterMs?: number; transient?: boolean; throttled?: boolean } = {},
  ) {
    super(options.throttled ? ErrorCode.Throttled : ErrorCode.Upstream, message, { cause: options.cause });
    if (options.retryAfterMs !== undefined) this.retryAfterMs = options.retryAfterMs;
    this.transient = options.transient ?? true;
  }
}

export function isCodedError(err: unknown): err is KvWardenError {
  return err instanceof KvWardenError;
}

/** The sentence a chat user sees for any error. Unknown errors never leak their message. */
export function userMessageFor(err: unknown): string {
  if (isCodedError(err)) return err.userMessage;
  return 'Something went wrong inside kv-warden; the details are in its log.';
}
