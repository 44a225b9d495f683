import { ErrorCode, KvWardenError } from '../errors.js';

/** A record that cannot become an AuditEvent or VaultNotice; `reason` says why (never a secret value). */
export class MalformedRecordError extends KvWardenError {
  readonly reason: string;
  constructor(reason: string) {
    super(ErrorCode.InputMalformed, reason);
    this.reason = reason;
  }
}
