/**
 * The embedded back-end: PGlite (PostgreSQL compiled to WebAssembly, in this process) in
 * `<dataDir>/audit`, folder mode 0700. PGlite serves one process, so a lock file
 * (`<dataDir>/audit.lock`, the holder's pid) keeps a second one out while the first runs.
 */
import {
  chmodSync,
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  readFileSync,
  rmSync,
  writeSync,
} from 'node:fs'
import { join } from 'node:path'
import { PGlite, type Transaction } from '@electric-sql/pglite'
import { failureReason } from '../../core/index.js'
import { EMBEDDED_DIR, EMBEDDED_LOCK } from './constants.js'
import type { AuditDatabase, AuditSql } from './database.js'
import { AuditStoreError } from './errors.js'

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM'
  }
}

const held = new Set<string>()
let exitHookInstalled = false

/** Takes the lock or says who holds it; a lock left by a process that is gone is taken over. */
function acquireLock(path: string, store: string): () => void {
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(path, 'wx', 0o600)
      writeSync(fd, `${process.pid}\n`)
      closeSync(fd)
      held.add(path)
      if (!exitHookInstalled) {
        exitHookInstalled = true
        process.once('exit', () => {
          for (const p of held) rmSync(p, { force: true })
        })
      }
      return () => {
        held.delete(path)
        rmSync(path, { force: true })
      }
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e
      const pid = Number.parseInt(readFileSync(path, 'utf8'), 10)
      if (Number.isSafeInteger(pid) && pid > 0 && alive(pid)) {
        throw new AuditStoreError(
          'AUDIT_STORE_BUSY',
          `the embedded audit store ${store} is open in process ${pid} (the audit sink?); ` +
            'it serves one process at a time: stop that process, or use PostgreSQL (audit.databaseUrl)',
        )
      }
      rmSync(path, { force: true })
    }
  }
  throw new AuditStoreError('AUDIT_STORE_BUSY', `cannot take the lock ${path}`)
}

function sqlOf(db: PGlite | Transaction): AuditSql {
  return {
    query: async <R>(text: string, params?: unknown[]) => (await db.query<R>(text, params)).rows,
    exec: async (text: string) => {
      await db.exec(text)
    },
  }
}

export async function openEmbedded(dataDir: string, create: boolean): Promise<AuditDatabase> {
  const dir = join(dataDir, EMBEDDED_DIR)
  if (!create && !existsSync(join(dir, 'PG_VERSION'))) {
    throw new AuditStoreError(
      'AUDIT_STORE_MISSING',
      `no audit store at ${dir} (the audit sink creates it when it first runs)`,
    )
  }
  mkdirSync(dataDir, { recursive: true })
  mkdirSync(dir, { recursive: true, mode: 0o700 })
  chmodSync(dir, 0o700)
  const release = acquireLock(join(dataDir, EMBEDDED_LOCK), dir)
  let db: PGlite
  try {
    db = new PGlite(dir)
    await db.waitReady
  } catch (e) {
    release()
    throw new AuditStoreError(
      'AUDIT_DATABASE_UNREACHABLE',
      `cannot open the embedded audit store ${dir}: ${failureReason(e)}`,
      { cause: e },
    )
  }
  let closed = false
  return {
    backend: 'pglite',
    location: dir,
    ...sqlOf(db),
    transaction: (fn, mode = 'write') =>
      db.transaction(async (tx) => {
        if (mode === 'snapshot')
          await tx.query('SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY')
        return fn(sqlOf(tx))
      }),
    async close() {
      if (closed) return
      closed = true
      try {
        await db.close()
      } finally {
        release()
      }
    },
  }
}
