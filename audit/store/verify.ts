/**
 * `verifyAudit`: walks the whole chain in seq order, page by page inside one read-only
 * snapshot, recomputing every row's hash from its stored fields and checking every
 * checkpoint's signature and head against the rows. Stops at the first row that does not
 * fit and says which and how:
 *
 *   deleted         a seq is missing (or later rows were renumbered over the gap)
 *   edited          a row's fields no longer give its hash; or a row's hash was recomputed
 *                   after an edit, so the next row's link to it breaks
 *   reordered       the row that belongs at this seq stands further on
 *   truncated       a checkpoint signed a longer chain than the rows left
 *   bad-checkpoint  a checkpoint's signature fails, or names a key not given
 *
 * Rows after the last checkpoint can be cut off without a trace here: the checkpoints
 * mirrored off the machine (syslog, OTLP) are the witness for those.
 *
 * The walk reads through an `AuditTrailReader`: SQL inside the snapshot (`verifyAudit`), or
 * the running sink's reader socket (`openAuditReader` in remote.ts, `verifyAuditTrail`).
 */
import type { KeyObject } from 'node:crypto'
import { hashOfRow, type AuditRow } from './canonical.js'
import { checkpointProblem, type AuditCheckpoint } from './checkpoint.js'
import { GENESIS_HASH, VERIFY_LOOKAHEAD, VERIFY_PAGE_ROWS } from './constants.js'
import type { AuditDatabase, AuditSql } from './database.js'
import { readCheckpoints, readRows } from './rows.js'
import type { AuditStore } from './store.js'

export type AuditProblemKind = 'edited' | 'deleted' | 'reordered' | 'truncated' | 'bad-checkpoint'

export interface AuditProblem {
  /** The first row that does not fit (for a checkpoint: the seq it names). */
  seq: number
  eventId?: string
  kind: AuditProblemKind
  detail: string
}

export interface AuditVerification {
  ok: boolean
  /** Rows checked before the walk ended (all of them when ok). */
  rows: number
  checkpoints: number
  /** The last row checked. */
  head?: { seq: number; hash: string }
  problem?: AuditProblem
}

export interface VerifyOptions {
  /** Rows per page (default 5,000). */
  pageRows?: number
}

const short = (hash: string) => `${hash.slice(0, 12)}…`

/** What the walk reads: one consistent view of the trail, in seq order. */
export interface AuditTrailReader {
  /** The rows with seq > after, in seq order; at most `limit`, fewer is fine. */
  rowsAfter(after: number, limit: number): Promise<AuditRow[]>
  /** Likewise for the checkpoints. */
  checkpointsAfter(after: number, limit: number): Promise<AuditCheckpoint[]>
}

export function sqlTrailReader(sql: AuditSql): AuditTrailReader {
  return {
    rowsAfter: (after, limit) => readRows(sql, after, limit),
    checkpointsAfter: (after, limit) => readCheckpoints(sql, after, limit),
  }
}

/** One page at a time, in seq order. */
function pager<T extends { seq: number }>(fetch: (after: number) => Promise<T[]>) {
  let page: T[] = []
  let at = 0
  let after = 0
  let done = false
  return async (): Promise<T | undefined> => {
    if (at === page.length && !done) {
      page = await fetch(after)
      at = 0
      done = page.length === 0
    }
    const item = page[at++]
    if (item) after = item.seq
    return item
  }
}

/** Why the row at `row.seq` does not follow `prev`: which row is to blame, and how. */
async function blame(
  reader: AuditTrailReader,
  row: AuditRow,
  prev: string,
  before: AuditRow | undefined,
): Promise<AuditProblem> {
  const k = row.seq
  if (hashOfRow(row) === row.hash) {
    // The row is whole, but the hash it recorded for its predecessor is not that row's.
    if (!before) {
      return {
        seq: k,
        eventId: row.eventId,
        kind: 'edited',
        detail: `row ${k} is the first row, yet links to a predecessor ${short(row.prevHash)}`,
      }
    }
    return {
      seq: before.seq,
      eventId: before.eventId,
      kind: 'edited',
      detail: `row ${before.seq} was changed and its hash recomputed: row ${k} recorded its hash as ${short(row.prevHash)}, it is now ${short(prev)}`,
    }
  }
  const ahead = await reader.rowsAfter(k, VERIFY_LOOKAHEAD)
  for (const other of ahead) {
    const belongsHere = hashOfRow(other, prev, k)
    if (
      (other.prevHash === prev && belongsHere === other.hash) ||
      (row.prevHash === prev && belongsHere === row.hash)
    ) {
      return {
        seq: k,
        eventId: row.eventId,
        kind: 'reordered',
        detail: `row ${k} holds another row's event; the event written as row ${k} (${other.eventId}) is now at row ${other.seq}`,
      }
    }
  }
  for (let d = 1; d <= VERIFY_LOOKAHEAD; d++) {
    if (hashOfRow(row, row.prevHash, k + d) === row.hash) {
      return {
        seq: k,
        kind: 'deleted',
        detail: `${d} row(s) from row ${k} on were deleted and the rows after them renumbered: row ${k} now holds the event written as row ${k + d} (${row.eventId})`,
      }
    }
  }
  return {
    seq: k,
    eventId: row.eventId,
    kind: 'edited',
    detail:
      row.prevHash === prev
        ? `row ${k}'s fields do not give its stored hash`
        : `row ${k}'s fields and its link to row ${k - 1} do not match its hash`,
  }
}

export async function verifyAudit(
  source: AuditStore | AuditDatabase,
  publicKey: KeyObject | readonly KeyObject[],
  options: VerifyOptions = {},
): Promise<AuditVerification> {
  const db = 'database' in source ? source.database : source
  return db.transaction(
    (sql) => verifyAuditTrail(sqlTrailReader(sql), publicKey, options),
    'snapshot',
  )
}

/** The walk over any reader; `verifyAudit` is this over SQL in one read-only snapshot. */
export async function verifyAuditTrail(
  reader: AuditTrailReader,
  publicKey: KeyObject | readonly KeyObject[],
  options: VerifyOptions = {},
): Promise<AuditVerification> {
  const keys: readonly KeyObject[] = Array.isArray(publicKey) ? publicKey : [publicKey as KeyObject]
  const pageRows = options.pageRows ?? VERIFY_PAGE_ROWS
  const nextRow = pager((after) => reader.rowsAfter(after, pageRows))
  const nextCheckpoint = pager((after) => reader.checkpointsAfter(after, pageRows))
  let rows = 0
  let checkpoints = 0
  let prev = GENESIS_HASH
  let before: AuditRow | undefined
  /** The seq of the last checkpoint that matched its row: rows up to it are proven. */
  let proven = 0
  const result = (problem?: AuditProblem): AuditVerification => ({
    ok: !problem,
    rows,
    checkpoints,
    ...(before && { head: { seq: before.seq, hash: before.hash } }),
    ...(problem && { problem }),
  })
  const badSignature = (c: AuditCheckpoint): AuditProblem | undefined => {
    const why = checkpointProblem(c, keys)
    return why
      ? { seq: c.seq, kind: 'bad-checkpoint', detail: `the checkpoint at row ${c.seq}: ${why}` }
      : undefined
  }

  let checkpoint = await nextCheckpoint()
  for (let row = await nextRow(); row; row = await nextRow()) {
    const expected = rows + 1
    if (row.seq !== expected) {
      return result({
        seq: expected,
        kind: 'deleted',
        detail:
          expected === row.seq - 1
            ? `row ${expected} is missing: the row after row ${expected - 1} is row ${row.seq}`
            : `rows ${expected} to ${row.seq - 1} are missing: the row after row ${expected - 1} is row ${row.seq}`,
      })
    }
    if (row.prevHash !== prev || hashOfRow(row, prev) !== row.hash)
      return result(await blame(reader, row, prev, before))
    prev = row.hash
    before = row
    rows++
    while (checkpoint && checkpoint.seq <= row.seq) {
      const bad = badSignature(checkpoint)
      if (bad) return result(bad)
      if (checkpoint.headHash !== row.hash) {
        // The rows link up, so they were rewritten and rehashed since this was signed:
        // somewhere after the last checkpoint that still matched.
        return result({
          seq: proven + 1,
          kind: 'edited',
          detail: `rows ${proven + 1} to ${row.seq} were rewritten and rehashed: row ${row.seq}'s hash ${short(row.hash)} is not the ${short(checkpoint.headHash)} signed at ${checkpoint.time}`,
        })
      }
      proven = checkpoint.seq
      checkpoints++
      checkpoint = await nextCheckpoint()
    }
  }
  if (checkpoint) {
    const bad = badSignature(checkpoint)
    if (bad) return result(bad)
    return result({
      seq: rows + 1,
      kind: 'truncated',
      detail: `the checkpoint signed at ${checkpoint.time} covers ${checkpoint.seq} rows, but the trail ends at row ${rows}: rows from ${rows + 1} on were cut off`,
    })
  }
  return result()
}
