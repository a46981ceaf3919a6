/**
 * Failures of the audit store, each with a stable code. Messages name files, keys and
 * database hosts, never a password or key material.
 */
export const AUDIT_STORE_ERROR_CODES = [
  'AUDIT_OPTIONS_INVALID',
  'AUDIT_DATABASE_URL_INVALID',
  'AUDIT_DATABASE_URL_HAS_PASSWORD',
  'AUDIT_DATABASE_UNREACHABLE',
  'AUDIT_STORE_MISSING',
  'AUDIT_STORE_BUSY',
  'AUDIT_STORE_CLOSED',
  'AUDIT_MIGRATION_FAILED',
  'AUDIT_SIGNING_KEY_MISSING',
  'AUDIT_SIGNING_KEY_EXPOSED',
  'AUDIT_SIGNING_KEY_INVALID',
  'AUDIT_QUERY_INVALID',
  'AUDIT_SINK_UNREACHABLE',
  'AUDIT_SINK_REFUSED',
] as const
export type AuditStoreErrorCode = (typeof AUDIT_STORE_ERROR_CODES)[number]

export class AuditStoreError extends Error {
  constructor(
    readonly code: AuditStoreErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options)
    this.name = 'AuditStoreError'
  }
}
