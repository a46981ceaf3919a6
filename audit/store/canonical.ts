/**
 * The stored row, and the one canonical encoding its hash is taken over. `verify` recomputes
 * exactly this from what it reads back, so every stored field is in it, seq included.
 *
 *   canonical = JSON.stringify([
 *     'portcullis-audit-row-v1', seq, eventId, sink, time, requestId, stage, component,
 *     verdict, code, reason, method, host, port, path, status, latencyMs, actor, bodyDigest,
 *   ])
 *   hash = hex(SHA-256(UTF-8(prevHash + '\n' + canonical)))
 *
 * Absent fields are `null`. `time` is UTC with microseconds (`2024-05-01T12:00:00.123000Z`),
 * what a timestamptz holds. Numbers are JavaScript's shortest round-trip form (ECMAScript
 * Number::toString), strings JSON.stringify's escapes (`"`, `\`, control characters; the
 * rest as UTF-8). Row 1's prevHash is 64 zeros.
 */
import { AUDIT_STAGES, AUDIT_VERDICTS, type AuditEvent } from '../../core/index.js'
import { sha256HexSync } from '../../runtime/index.js'
import { ID_MAX_LENGTH, ROW_ENCODING, ROW_MAX_BYTES } from './constants.js'

export interface AuditRow {
  seq: number
  eventId: string
  /** The identity of the sink that wrote the row. */
  sink: string
  /** UTC with microseconds: `YYYY-MM-DDTHH:MM:SS.ffffffZ`. */
  time: string
  requestId: string
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
  latencyMs: number | null
  actor: string | null
  bodyDigest: string | null
  prevHash: string
  hash: string
}

/** A row before it has its place in the chain. */
export type UnchainedRow = Omit<AuditRow, 'seq' | 'prevHash' | 'hash'>

/** The canonical encoding of a row's stored fields at `seq` (the header's array). */
export function canonicalRow(row: UnchainedRow, seq: number): string {
  return JSON.stringify([
    ROW_ENCODING,
    seq,
    row.eventId,
    row.sink,
    row.time,
    row.requestId,
    row.stage,
    row.component,
    row.verdict,
    row.code,
    row.reason,
    row.method,
    row.host,
    row.port,
    row.path,
    row.status,
    row.latencyMs,
    row.actor,
    row.bodyDigest,
  ])
}

export function rowHash(prevHash: string, canonical: string): string {
  return sha256HexSync(`${prevHash}\n${canonical}`)
}

/** Gives a row its seq, its predecessor's hash and its own. */
export function chainRow(row: UnchainedRow, seq: number, prevHash: string): AuditRow {
  const hash = rowHash(prevHash, canonicalRow(row, seq))
  // Spelled out rather than spread: one object shape, several times faster in a hot loop.
  return {
    seq,
    eventId: row.eventId,
    sink: row.sink,
    time: row.time,
    requestId: row.requestId,
    stage: row.stage,
    component: row.component,
    verdict: row.verdict,
    code: row.code,
    reason: row.reason,
    method: row.method,
    host: row.host,
    port: row.port,
    path: row.path,
    status: row.status,
    latencyMs: row.latencyMs,
    actor: row.actor,
    bodyDigest: row.bodyDigest,
    prevHash,
    hash,
  }
}

/** The hash a row's stored fields give after `prevHash` at `seq` (verify recomputes this). */
export function hashOfRow(row: AuditRow, prevHash = row.prevHash, seq = row.seq): string {
  return rowHash(prevHash, canonicalRow(row, seq))
}

/** `2024-05-01T12:00:00.123Z` -> `2024-05-01T12:00:00.123000Z`; undefined when out of range. */
export function microsOf(time: string | Date): string | undefined {
  const date = typeof time === 'string' ? new Date(time) : time
  const ms = date.getTime()
  if (Number.isNaN(ms)) return undefined
  const iso = date.toISOString()
  // Four-digit years from 1970 on: what both timestamptz and this text form agree on.
  if (!/^\d{4}-/.test(iso) || ms < 0) return undefined
  return `${iso.slice(0, 23)}000Z`
}

/** `...12:00:00.123456Z` -> `...12:00:00.123Z` (the event's form). */
export function millisOf(micros: string): string {
  return `${micros.slice(0, 23)}Z`
}

/**
 * An upper bound of the encoding's size without encoding it: a UTF-16 unit takes at most 6
 * bytes in JSON (`\u001f`), numbers and punctuation at most 32 bytes a field.
 */
function encodedSizeBound(row: UnchainedRow): number {
  let units = 0
  for (const v of Object.values(row)) if (typeof v === 'string') units += v.length
  return units * 6 + 64 * 32
}

/** A lone surrogate cannot be stored as UTF-8 unchanged; NUL cannot be stored in text. */
const UNSTORABLE = /[\0\p{Cs}]/u

const OPTIONAL_STRINGS = [
  ['code', 'code'],
  ['reason', 'reason'],
  ['method', 'method'],
  ['host', 'host'],
  ['path', 'path'],
  ['actor', 'actor'],
  ['bodyDigest', 'bodyDigest'],
] as const

/**
 * The row an event becomes, or why it cannot be stored unchanged. An event that would be
 * stored differently from what was hashed (a lone surrogate, a NUL, a time PostgreSQL would
 * round) is refused rather than altered.
 */
export function rowOfEvent(event: AuditEvent, sink: string): UnchainedRow | { problem: string } {
  const bad = (problem: string) => ({ problem })
  if (typeof event !== 'object' || event === null) return bad('not an object')
  const text = (v: unknown, max = Infinity) =>
    typeof v === 'string' && v.length > 0 && v.length <= max && !UNSTORABLE.test(v)
  if (!text(event.id, ID_MAX_LENGTH)) return bad('id is not a usable string')
  if (!text(event.requestId, ID_MAX_LENGTH)) return bad('requestId is not a usable string')
  if (!text(event.component, ID_MAX_LENGTH)) return bad('component is not a usable string')
  if (!AUDIT_STAGES.includes(event.stage)) return bad('stage is not one of the known stages')
  if (!AUDIT_VERDICTS.includes(event.verdict)) return bad('verdict is not accept, reject or error')
  const time = typeof event.time === 'string' ? microsOf(event.time) : undefined
  if (!time) return bad('time is not an ISO 8601 time from 1970 to 9999')
  const row: UnchainedRow = {
    eventId: event.id,
    sink,
    time,
    requestId: event.requestId,
    stage: event.stage,
    component: event.component,
    verdict: event.verdict,
    code: null,
    reason: null,
    method: null,
    host: null,
    port: null,
    path: null,
    status: null,
    latencyMs: null,
    actor: null,
    bodyDigest: null,
  }
  for (const [field, column] of OPTIONAL_STRINGS) {
    const v = event[field]
    if (v === undefined) continue
    if (typeof v !== 'string' || UNSTORABLE.test(v)) return bad(`${field} is not a usable string`)
    row[column] = v
  }
  const int = (v: unknown, max: number) =>
    typeof v === 'number' && Number.isSafeInteger(v) && v >= 0 && v <= max
  if (event.port !== undefined) {
    if (!int(event.port, 65_535)) return bad('port is not an integer from 0 to 65535')
    row.port = event.port
  }
  if (event.status !== undefined) {
    if (!int(event.status, 999)) return bad('status is not an integer from 0 to 999')
    row.status = event.status
  }
  if (event.latencyMs !== undefined) {
    if (typeof event.latencyMs !== 'number' || !Number.isFinite(event.latencyMs))
      return bad('latencyMs is not a finite number')
    row.latencyMs = event.latencyMs
  }
  if (
    encodedSizeBound(row) > ROW_MAX_BYTES &&
    Buffer.byteLength(canonicalRow(row, 0)) > ROW_MAX_BYTES
  )
    return bad(`the event is larger than ${ROW_MAX_BYTES} bytes`)
  return row
}
