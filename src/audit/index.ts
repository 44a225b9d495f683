/** The audit area's public surface: parsing and normalizing Key Vault audit data of any shape. */
export type * from './audit-event.js';
export { type EventKeyFields, eventKey } from './event-key.js';
export { formatMalformed } from './format-malformed.js';
export { MalformedRecordError } from './malformed-record-error.js';
export { normalizeNotice, normalizeRecord } from './normalize.js';
export { canonicalOperation, isKnownOperation } from './operation-names.js';
export { parseAuditBody } from './parse-body.js';
export { type ChunkResult, parseChunk } from './parse-chunk.js';
export {
  type ReadAuditOptions,
  readAuditBatches,
  readAuditFile,
  readAuditFileBatches,
  readAuditStream,
} from './read-audit.js';
