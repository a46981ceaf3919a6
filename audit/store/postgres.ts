/** The PostgreSQL back-end: a small `pg` pool. */
import pg from 'pg'
import { failureReason } from '../../core/index.js'
import { redactDatabaseUrl, checkDatabaseUrl } from './settings.js'
import type { AuditDatabase, AuditSql } from './database.js'
import { AuditStoreError } from './errors.js'

const POOL_SIZE = 4
const CONNECT_TIMEOUT_MS = 10_000

function sqlOf(client: pg.Pool | pg.PoolClient): AuditSql {
  return {
    query: async <R>(text: string, params?: unknown[]) =>
      (await client.query(text, params)).rows as R[],
    exec: async (text: string) => {
      await client.query(text)
    },
  }
}

export async function openPostgres(
  url: string,
  onError?: (error: Error) => void,
): Promise<AuditDatabase> {
  checkDatabaseUrl(url)
  const location = redactDatabaseUrl(url)
  const pool = new pg.Pool({
    connectionString: url,
    max: POOL_SIZE,
    connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
    application_name: 'portcullis-audit',
  })
  // An idle client whose server went away reports here; unhandled, it would end the process.
  pool.on('error', (e) => onError?.(e))
  try {
    const client = await pool.connect()
    client.release()
  } catch (e) {
    await pool.end().catch(() => undefined)
    throw new AuditStoreError(
      'AUDIT_DATABASE_UNREACHABLE',
      `cannot reach the audit database ${location}: ${failureReason(e)}`,
      { cause: e },
    )
  }
  let closed = false
  return {
    backend: 'postgres',
    location,
    ...sqlOf(pool),
    async transaction(fn, mode = 'write') {
      const client = await pool.connect()
      let broken = false
      try {
        await client.query(
          mode === 'snapshot' ? 'BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY' : 'BEGIN',
        )
        const result = await fn(sqlOf(client))
        await client.query('COMMIT')
        return result
      } catch (e) {
        try {
          await client.query('ROLLBACK')
        } catch {
          broken = true
        }
        throw e
      } finally {
        // A connection that could not roll back is dropped, not reused.
        client.release(broken)
      }
    },
    async close() {
      if (closed) return
      closed = true
      await pool.end()
    },
  }
}
