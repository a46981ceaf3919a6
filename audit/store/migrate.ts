/**
 * Applies the migrations in order, each in its own transaction with its row in
 * `audit_migrations`, under the chain lock: two processes starting at once apply each one
 * once. Applied migrations are skipped, so running it again changes nothing.
 */
import { failureReason } from '../../core/index.js'
import { CHAIN_LOCK, WRITER_ROLE } from './constants.js'
import type { AuditDatabase } from './database.js'
import { AuditStoreError } from './errors.js'
import { MIGRATIONS, type Migration } from './migrations/index.js'

export interface MigrationReport {
  /** What this run applied, in order; empty when the schema was already current. */
  applied: Array<{ version: number; name: string }>
  /** The schema's version afterwards. */
  version: number
}

const MIGRATIONS_TABLE = `
CREATE TABLE IF NOT EXISTS audit_migrations (
  version    integer PRIMARY KEY,
  name       text NOT NULL,
  applied_at timestamptz NOT NULL DEFAULT now()
)`

function failure(db: AuditDatabase, what: string, e: unknown): AuditStoreError {
  const code = (e as { code?: string }).code
  const hint =
    code === '42501'
      ? ` (the login lacks a privilege: migrations run as the tables' owner, with CREATEROLE for the ${WRITER_ROLE} role; run \`portcullis audit migrate\` with that login's URL)`
      : ''
  return new AuditStoreError(
    'AUDIT_MIGRATION_FAILED',
    `${what} on ${db.location} failed: ${failureReason(e)}${hint}`,
    { cause: e },
  )
}

async function appliedVersions(db: AuditDatabase): Promise<Set<number>> {
  const [{ present } = { present: false }] = await db.query<{ present: boolean }>(
    `SELECT to_regclass('audit_migrations') IS NOT NULL AS present`,
  )
  if (!present) {
    // Only here is CREATE needed: a writer-only login passes by once the owner has migrated.
    try {
      await db.transaction(async (tx) => {
        await tx.query('SELECT pg_advisory_xact_lock($1)', [CHAIN_LOCK])
        await tx.exec(MIGRATIONS_TABLE)
      })
    } catch (e) {
      throw failure(db, 'creating audit_migrations', e)
    }
  }
  const rows = await db.query<{ version: number }>('SELECT version FROM audit_migrations')
  return new Set(rows.map((r) => Number(r.version)))
}

export async function migrateAuditDatabase(db: AuditDatabase): Promise<MigrationReport> {
  const known = MIGRATIONS.filter((m) => !m.backends || m.backends.includes(db.backend))
  const latest = Math.max(...MIGRATIONS.map((m) => m.version))
  const done = await appliedVersions(db)
  const newer = [...done].filter((v) => v > latest)
  if (newer.length) {
    throw new AuditStoreError(
      'AUDIT_MIGRATION_FAILED',
      `the audit schema on ${db.location} is at version ${Math.max(...newer)}, newer than this Portcullis knows (${latest}): upgrade Portcullis`,
    )
  }
  const applied: MigrationReport['applied'] = []
  for (const m of known.filter((k) => !done.has(k.version))) {
    if (await apply(db, m)) applied.push({ version: m.version, name: m.name })
  }
  return { applied, version: Math.max(0, ...done, ...applied.map((a) => a.version)) }
}

/** False when another process applied it first. */
async function apply(db: AuditDatabase, m: Migration): Promise<boolean> {
  try {
    return await db.transaction(async (tx) => {
      await tx.query('SELECT pg_advisory_xact_lock($1)', [CHAIN_LOCK])
      const present = await tx.query('SELECT 1 FROM audit_migrations WHERE version = $1', [
        m.version,
      ])
      if (present.length) return false
      await tx.exec(m.sql)
      await tx.query('INSERT INTO audit_migrations (version, name) VALUES ($1, $2)', [
        m.version,
        m.name,
      ])
      return true
    })
  } catch (e) {
    throw failure(db, `migration ${m.version} (${m.name})`, e)
  }
}
