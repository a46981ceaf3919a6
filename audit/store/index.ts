/**
 * The audit trail's storage: an append-only, hash-chained table with signed checkpoints, on
 * PostgreSQL or embedded PGlite (README.md).
 */
export { openAuditStore } from './store.js'
export type { AppendResult, AuditStore, OpenAuditStoreOptions, RejectedEvent } from './store.js'
export { sqlTrailReader, verifyAudit, verifyAuditTrail } from './verify.js'
export type {
  AuditProblem,
  AuditProblemKind,
  AuditTrailReader,
  AuditVerification,
  VerifyOptions,
} from './verify.js'
export { openAuditReader } from './remote.js'
export type { RemoteAuditReader, RemoteHead } from './remote.js'
export { lastCheckpointSeq, readCheckpoints, readHead, readRows } from './rows.js'
export { queryAudit, eventOfRow } from './query.js'
export type { AuditQuery, StoredAuditEvent } from './query.js'
export { openAuditDatabase } from './database.js'
export type { AuditBackend, AuditDatabase, AuditSql, OpenAuditDatabaseOptions } from './database.js'
export { migrateAuditDatabase } from './migrate.js'
export type { MigrationReport } from './migrate.js'
export {
  auditKeyIdOf,
  auditKeyPaths,
  ensureAuditSigningKey,
  readAuditPublicKey,
  readAuditSigningKey,
} from './keys.js'
export type { AuditSigningKey } from './keys.js'
export { checkpointPayload, checkpointProblem, signCheckpoint } from './checkpoint.js'
export type { AuditCheckpoint } from './checkpoint.js'
export { canonicalRow, chainRow, hashOfRow, rowHash, rowOfEvent } from './canonical.js'
export type { AuditRow, UnchainedRow } from './canonical.js'
export {
  auditStoreSettingsOf,
  checkDatabaseUrl,
  redactDatabaseUrl,
  resolveAuditDatabaseUrl,
} from './settings.js'
export { AuditStoreError, AUDIT_STORE_ERROR_CODES } from './errors.js'
export type { AuditStoreErrorCode } from './errors.js'
export {
  AUDIT_DATABASE_URL_ENV,
  EMBEDDED_SOCKET,
  GENESIS_HASH,
  READER_MAX_ROWS,
  READER_PAGE_BYTES,
  WRITER_ROLE,
} from './constants.js'
