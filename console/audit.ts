/**
 * The console's view of the audit trail: events by request id or time range and verdict, and
 * `audit verify` now and then. Through the same paths as `portcullis audit`: PostgreSQL when
 * configured, else the embedded store read through the sink's socket (the sink holds it).
 */
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import type { LoadedConfig } from '../config/index.js'
import {
  EMBEDDED_SOCKET,
  auditKeyPaths,
  openAuditDatabase,
  openAuditReader,
  queryAudit,
  readAuditPublicKey,
  resolveAuditDatabaseUrl,
  verifyAudit,
  type AuditDatabase,
  type AuditQuery,
  type AuditVerification,
  type StoredAuditEvent,
} from '../audit/store/index.js'
import { failureReason, GatewayError } from '../core/index.js'

export interface VerifyResult {
  at: string
  ok: boolean
  rows: number
  checkpoints: number
  headSeq?: number
  /** Why the walk stopped, or why it could not run. */
  problem?: string
}

export interface AuditAccess {
  query(query: AuditQuery): Promise<StoredAuditEvent[]>
  verify(): Promise<VerifyResult>
  close(): Promise<void>
}

export function auditAccess(config: LoadedConfig, env: NodeJS.ProcessEnv): AuditAccess {
  const databaseUrl = resolveAuditDatabaseUrl(config, env)
  let db: Promise<AuditDatabase> | undefined
  const database = () =>
    (db ??= openAuditDatabase({ databaseUrl: databaseUrl!, dataDir: config.paths.data }))
  const remote = () => {
    if (!existsSync(join(config.paths.data, EMBEDDED_SOCKET))) {
      throw new GatewayError('INTERNAL_ERROR', {
        reason: 'the audit sink is not running (no audit socket)',
      })
    }
    return openAuditReader(config.paths.data)
  }
  const publicKey = () => readAuditPublicKey(auditKeyPaths(config.paths.keys).publicKey)
  return {
    async query(query) {
      return databaseUrl ? queryAudit(await database(), query) : remote().query(query)
    },
    async verify() {
      const at = new Date().toISOString()
      try {
        const r: AuditVerification = databaseUrl
          ? await verifyAudit(await database(), publicKey())
          : await remote().verify(publicKey())
        return {
          at,
          ok: r.ok,
          rows: r.rows,
          checkpoints: r.checkpoints,
          ...(r.head && { headSeq: r.head.seq }),
          ...(r.problem && {
            problem: `row ${r.problem.seq}: ${r.problem.kind}: ${r.problem.detail}`,
          }),
        }
      } catch (e) {
        return {
          at,
          ok: false,
          rows: 0,
          checkpoints: 0,
          problem: failureReason(e),
        }
      }
    },
    async close() {
      await (await db)?.close()
    },
  }
}
