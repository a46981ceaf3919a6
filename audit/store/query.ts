/** Reading the trail back: by request id, or by time range and verdict, in seq order. */
import { AUDIT_VERDICTS, type AuditEvent, type AuditVerdict } from '../../core/index.js'
import { microsOf, millisOf, type AuditRow } from './canonical.js'
import { QUERY_DEFAULT_LIMIT, QUERY_MAX_LIMIT } from './constants.js'
import type { AuditSql } from './database.js'
import { AuditStoreError } from './errors.js'
import { ROW_COLUMNS, rowOfRecord, type RowRecord } from './rows.js'

export interface AuditQuery {
  requestId?: string
  /** From this time on (inclusive); ISO 8601 or a Date. */
  since?: string | Date
  /** Before this time (exclusive). */
  until?: string | Date
  verdict?: AuditVerdict
  /** At most this many rows, the first in seq order (default 100, at most 10,000). */
  limit?: number
}

/** An event as stored: the event itself plus its place in the chain. */
export interface StoredAuditEvent extends AuditEvent {
  seq: number
  sink: string
  hash: string
}

function invalid(message: string): AuditStoreError {
  return new AuditStoreError('AUDIT_QUERY_INVALID', message)
}

/** The event a stored row holds, absent fields left out, time back in milliseconds. */
export function eventOfRow(row: AuditRow): StoredAuditEvent {
  const event: StoredAuditEvent = {
    seq: row.seq,
    sink: row.sink,
    hash: row.hash,
    id: row.eventId,
    time: millisOf(row.time),
    requestId: row.requestId,
    stage: row.stage as AuditEvent['stage'],
    component: row.component,
    verdict: row.verdict as AuditVerdict,
  }
  if (row.code !== null) event.code = row.code
  if (row.reason !== null) event.reason = row.reason
  if (row.method !== null) event.method = row.method
  if (row.host !== null) event.host = row.host
  if (row.port !== null) event.port = row.port
  if (row.path !== null) event.path = row.path
  if (row.status !== null) event.status = row.status
  if (row.latencyMs !== null) event.latencyMs = row.latencyMs
  if (row.actor !== null) event.actor = row.actor
  if (row.bodyDigest !== null) event.bodyDigest = row.bodyDigest
  return event
}

export async function queryAudit(sql: AuditSql, q: AuditQuery): Promise<StoredAuditEvent[]> {
  const where: string[] = []
  const params: unknown[] = []
  const add = (condition: string, value: unknown) => {
    params.push(value)
    where.push(condition.replace('?', `$${params.length}`))
  }
  if (q.requestId !== undefined) {
    if (typeof q.requestId !== 'string' || q.requestId === '' || q.requestId.includes('\0'))
      throw invalid('requestId must be a non-empty string')
    add('request_id = ?', q.requestId)
  }
  for (const [key, op] of [
    ['since', '>='],
    ['until', '<'],
  ] as const) {
    const value = q[key]
    if (value === undefined) continue
    const time = microsOf(value)
    if (!time) throw invalid(`${key} is not a time (ISO 8601, from 1970 on)`)
    add(`time ${op} ?::timestamptz`, time)
  }
  if (q.verdict !== undefined) {
    if (!AUDIT_VERDICTS.includes(q.verdict))
      throw invalid(`verdict must be one of ${AUDIT_VERDICTS.join(', ')}`)
    add('verdict = ?', q.verdict)
  }
  const limit = q.limit ?? QUERY_DEFAULT_LIMIT
  if (!Number.isSafeInteger(limit) || limit < 1 || limit > QUERY_MAX_LIMIT)
    throw invalid(`limit must be a whole number from 1 to ${QUERY_MAX_LIMIT}`)
  params.push(limit)
  const rows = await sql.query<RowRecord>(
    `SELECT ${ROW_COLUMNS} FROM audit_events
     ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
     ORDER BY seq LIMIT $${params.length}`,
    params,
  )
  return rows.map((r) => eventOfRow(rowOfRecord(r)))
}
