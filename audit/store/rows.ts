/** Rows to and from SQL: one column list for reading, one multi-row insert for writing. */
import type { AuditRow } from './canonical.js'
import type { AuditCheckpoint } from './checkpoint.js'
import type { AuditSql } from './database.js'

/** `time` read as the canonical text (UTC, microseconds), whatever the session's TimeZone. */
const MICROS = (column: string) =>
  `to_char(${column} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`

export const ROW_COLUMNS = `seq, event_id, sink, ${MICROS('time')} AS time, request_id, stage,
  component, verdict, code, reason, method, host, port, path, status, latency_ms, actor,
  body_digest, prev_hash, hash`

export const CHECKPOINT_COLUMNS = `seq, head_hash, ${MICROS('time')} AS time, key_id, signature`

export interface RowRecord {
  seq: number | string
  event_id: string
  sink: string
  time: string
  request_id: string
  stage: string
  component: string
  verdict: string
  code: string | null
  reason: string | null
  method: string | null
  host: string | null
  port: number | null
  path: string | null
  status: number | null
  latency_ms: number | null
  actor: string | null
  body_digest: string | null
  prev_hash: string
  hash: string
}

/** `pg` reads bigint as a string, PGlite as a number: both become a number here. */
export function rowOfRecord(r: RowRecord): AuditRow {
  return {
    seq: Number(r.seq),
    eventId: r.event_id,
    sink: r.sink,
    time: r.time,
    requestId: r.request_id,
    stage: r.stage,
    component: r.component,
    verdict: r.verdict,
    code: r.code,
    reason: r.reason,
    method: r.method,
    host: r.host,
    port: r.port,
    path: r.path,
    status: r.status,
    latencyMs: r.latency_ms,
    actor: r.actor,
    bodyDigest: r.body_digest,
    prevHash: r.prev_hash,
    hash: r.hash,
  }
}

export interface CheckpointRecord {
  seq: number | string
  head_hash: string
  time: string
  key_id: string
  signature: string
}

export function checkpointOfRecord(r: CheckpointRecord): AuditCheckpoint {
  return {
    seq: Number(r.seq),
    headHash: r.head_hash,
    time: r.time,
    keyId: r.key_id,
    signature: r.signature,
  }
}

/** Rows per INSERT statement: one array per column, so a statement's size stays bounded. */
const INSERT_CHUNK = 2_000

/** One statement per chunk: every column as an array, zipped back into rows by unnest. */
export async function insertRows(tx: AuditSql, rows: readonly AuditRow[]): Promise<void> {
  for (let start = 0; start < rows.length; start += INSERT_CHUNK) {
    const chunk = rows.slice(start, start + INSERT_CHUNK)
    const column = <K extends keyof AuditRow>(k: K) => chunk.map((r) => r[k])
    await tx.query(
      `INSERT INTO audit_events (seq, event_id, sink, time, request_id, stage, component,
         verdict, code, reason, method, host, port, path, status, latency_ms, actor,
         body_digest, prev_hash, hash)
       SELECT * FROM unnest($1::bigint[], $2::text[], $3::text[], $4::timestamptz[],
         $5::text[], $6::text[], $7::text[], $8::text[], $9::text[], $10::text[], $11::text[],
         $12::text[], $13::integer[], $14::text[], $15::integer[], $16::float8[], $17::text[],
         $18::text[], $19::text[], $20::text[])`,
      [
        column('seq'),
        column('eventId'),
        column('sink'),
        column('time'),
        column('requestId'),
        column('stage'),
        column('component'),
        column('verdict'),
        column('code'),
        column('reason'),
        column('method'),
        column('host'),
        column('port'),
        column('path'),
        column('status'),
        column('latencyMs'),
        column('actor'),
        column('bodyDigest'),
        column('prevHash'),
        column('hash'),
      ],
    )
  }
}

export async function insertCheckpoint(tx: AuditSql, c: AuditCheckpoint): Promise<void> {
  await tx.query(
    'INSERT INTO audit_checkpoints (seq, head_hash, time, key_id, signature) VALUES ($1, $2, $3, $4, $5)',
    [c.seq, c.headHash, c.time, c.keyId, c.signature],
  )
}

/** The chain's last row, or seq 0 and the genesis hash when it is empty. */
export async function readHead(
  sql: AuditSql,
  genesis: string,
): Promise<{ seq: number; hash: string }> {
  const [row] = await sql.query<{ seq: number | string; hash: string }>(
    'SELECT seq, hash FROM audit_events ORDER BY seq DESC LIMIT 1',
  )
  return row ? { seq: Number(row.seq), hash: row.hash } : { seq: 0, hash: genesis }
}

export async function lastCheckpointSeq(sql: AuditSql): Promise<number> {
  const [row] = await sql.query<{ seq: number | string }>(
    'SELECT seq FROM audit_checkpoints ORDER BY seq DESC LIMIT 1',
  )
  return row ? Number(row.seq) : 0
}

/** `seq > after`, and `seq <= upTo` when given, in seq order. */
const range = (upTo: number | undefined) =>
  `WHERE seq > $1${upTo === undefined ? '' : ' AND seq <= $3'} ORDER BY seq LIMIT $2`

/** The stored rows after `after` (up to `upTo`), at most `limit`: what verify walks. */
export async function readRows(
  sql: AuditSql,
  after: number,
  limit: number,
  upTo?: number,
): Promise<AuditRow[]> {
  const records = await sql.query<RowRecord>(
    `SELECT ${ROW_COLUMNS} FROM audit_events ${range(upTo)}`,
    upTo === undefined ? [after, limit] : [after, limit, upTo],
  )
  return records.map(rowOfRecord)
}

export async function readCheckpoints(
  sql: AuditSql,
  after: number,
  limit: number,
  upTo?: number,
): Promise<AuditCheckpoint[]> {
  const records = await sql.query<CheckpointRecord>(
    `SELECT ${CHECKPOINT_COLUMNS} FROM audit_checkpoints ${range(upTo)}`,
    upTo === undefined ? [after, limit] : [after, limit, upTo],
  )
  return records.map(checkpointOfRecord)
}
