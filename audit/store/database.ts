/**
 * One SQL surface over both back-ends: PostgreSQL through `pg` when a database URL is given,
 * else embedded PGlite under `<dataDir>/audit`. Everything above this file (migrations,
 * append, query, verify) is one code path with one schema.
 */
import { AuditStoreError } from './errors.js'
import { openEmbedded } from './embedded.js'
import { openPostgres } from './postgres.js'

export type AuditBackend = 'postgres' | 'pglite'

export interface AuditSql {
  /** One statement, `$1`-style parameters; arrays go as PostgreSQL arrays. */
  query<R = Record<string, unknown>>(text: string, params?: unknown[]): Promise<R[]>
  /** Several statements, no parameters (migrations). */
  exec(text: string): Promise<void>
}

export interface AuditDatabase extends AuditSql {
  readonly backend: AuditBackend
  /** Where the trail is, fit for a log line: a URL without its password, or a folder. */
  readonly location: string
  /**
   * Runs `fn` in one transaction, committed when it resolves, rolled back when it throws.
   * `snapshot`: read-only, one consistent view for its whole length (verify).
   */
  transaction<T>(fn: (tx: AuditSql) => Promise<T>, mode?: 'write' | 'snapshot'): Promise<T>
  close(): Promise<void>
}

export interface OpenAuditDatabaseOptions {
  /** `postgres://` or `postgresql://`; absent: the embedded store. */
  databaseUrl?: string
  /** The config's `paths.data`; the embedded store lives in `<dataDir>/audit`. */
  dataDir: string
  /** Create the embedded store when it is not there (default true; the CLI passes false). */
  create?: boolean
  /** Errors no caller is waiting for (an idle PostgreSQL connection that dropped). */
  onError?: (error: Error) => void
}

export async function openAuditDatabase(options: OpenAuditDatabaseOptions): Promise<AuditDatabase> {
  if (typeof options.dataDir !== 'string' || options.dataDir === '')
    throw new AuditStoreError('AUDIT_OPTIONS_INVALID', 'dataDir is required')
  return options.databaseUrl
    ? openPostgres(options.databaseUrl, options.onError)
    : openEmbedded(options.dataDir, options.create ?? true)
}
