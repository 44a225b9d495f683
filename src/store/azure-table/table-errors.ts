/** The HTTP status of an Azure SDK RestError (or a transaction failure), if any. */
export function statusOf(err: unknown): number | undefined {
  const e = err as { statusCode?: unknown; response?: { status?: unknown } };
  if (typeof e?.statusCode === 'number') return e.statusCode;
  if (typeof e?.response?.status === 'number') return e.response.status;
  return undefined;
}

/** The Table service error code (`err.details.errorCode`), e.g. `UpdateConditionNotSatisfied`. */
export function serviceCodeOf(err: unknown): string | undefined {
  const code = (err as { details?: { errorCode?: unknown } })?.details?.errorCode;
  return typeof code === 'string' ? code : undefined;
}

export function isConditionFailed(err: unknown): boolean {
  return statusOf(err) === 412 || serviceCodeOf(err) === 'UpdateConditionNotSatisfied';
}

export function isNotFound(err: unknown): boolean {
  return statusOf(err) === 404 || serviceCodeOf(err) === 'ResourceNotFound';
}

export function isAlreadyExists(err: unknown): boolean {
  return statusOf(err) === 409 || serviceCodeOf(err) === 'EntityAlreadyExists';
}
