/**
 * `openAuditStore`: the sink's handle on the trail. `append` writes a batch in one
 * transaction: events already stored are skipped, the rest take the next seq numbers and
 * their place in the hash chain. A signed checkpoint of the head follows once `everyEvents`
 * rows are not covered by one, or `everySeconds` after the first such row, whichever first.
 */
import { createPublicKey, type KeyObject } from 'node:crypto'
import type { AuditEvent } from '../../core/index.js'
import { createLogger } from '../../runtime/index.js'
import { chainRow, microsOf, rowOfEvent, type AuditRow, type UnchainedRow } from './canonical.js'
import { signCheckpoint, type AuditCheckpoint } from './checkpoint.js'
import { CHAIN_LOCK, GENESIS_HASH, ID_MAX_LENGTH } from './constants.js'
import {
  openAuditDatabase,
  type AuditBackend,
  type AuditDatabase,
  type AuditSql,
} from './database.js'
import { AuditStoreError } from './errors.js'
import { auditKeyIdOf } from './keys.js'
import { migrateAuditDatabase } from './migrate.js'
import { queryAudit, type AuditQuery, type StoredAuditEvent } from './query.js'
import { insertCheckpoint, insertRows, lastCheckpointSeq, readHead } from './rows.js'

export interface OpenAuditStoreOptions {
  /** PostgreSQL; absent: embedded PGlite in `<dataDir>/audit`. See `auditStoreSettingsOf`. */
  databaseUrl?: string
  dataDir: string
  /** The sink's identity, stored in each row it writes. */
  sink: string
  /** The checkpoint key (`ensureAuditSigningKey(keysDir)` returns one). */
  signingKey: { privateKey: KeyObject }
  checkpoint: { everyEvents: number; everySeconds: number }
  /**
   * Each checkpoint, once committed (the sink mirrors it to syslog and OTLP). Not awaited;
   * a throw or rejection goes to `onError`.
   */
  onCheckpoint?: (checkpoint: AuditCheckpoint) => unknown
  /**
   * Failures no call is waiting for: a timed checkpoint, `onCheckpoint`, a dropped idle
   * connection. Default: logged.
   */
  onError?: (error: Error) => void
}

export interface RejectedEvent {
  /** Its position in the batch. */
  index: number
  eventId?: string
  problem: string
}

export interface AppendResult {
  /** Rows written by this call. */
  written: number
  /** Events already stored, or repeated within the batch: written once, never twice. */
  skipped: number
  /** Events that cannot be stored as they are (dead-letter them); the rest are written. */
  rejected: RejectedEvent[]
  /** The seq of the last row written, when any was. */
  lastSeq?: number
  /** The checkpoint this append wrote, if one came due. */
  checkpoint?: AuditCheckpoint
}

export interface AuditStore {
  readonly backend: AuditBackend
  /** A URL without its password, or the embedded store's folder. */
  readonly location: string
  readonly database: AuditDatabase
  readonly keyId: string
  append(events: readonly AuditEvent[]): Promise<AppendResult>
  /** Signs the head now; undefined when the chain is empty or its head already signed. */
  checkpoint(): Promise<AuditCheckpoint | undefined>
  query(query?: AuditQuery): Promise<StoredAuditEvent[]>
  head(): Promise<{ seq: number; hash: string }>
  /** Signs an unsigned head, then closes the database. */
  close(): Promise<void>
}

function checkOptions(o: OpenAuditStoreOptions): void {
  const bad = (message: string) => new AuditStoreError('AUDIT_OPTIONS_INVALID', message)
  if (typeof o.sink !== 'string' || !/^[\x21-\x7e]+$/.test(o.sink) || o.sink.length > ID_MAX_LENGTH)
    throw bad('sink must be a printable identity without spaces')
  const { everyEvents, everySeconds } = o.checkpoint ?? {}
  if (!Number.isSafeInteger(everyEvents) || everyEvents < 1)
    throw bad('checkpoint.everyEvents must be a whole number from 1')
  if (typeof everySeconds !== 'number' || !(everySeconds > 0) || everySeconds > 86_400 * 365)
    throw bad('checkpoint.everySeconds must be a positive number of seconds')
  if (
    o.signingKey?.privateKey?.asymmetricKeyType !== 'ed25519' ||
    o.signingKey.privateKey.type !== 'private'
  )
    throw bad('signingKey.privateKey must be an Ed25519 private key')
}

export async function openAuditStore(options: OpenAuditStoreOptions): Promise<AuditStore> {
  checkOptions(options)
  const log = createLogger()
  const onError =
    options.onError ?? ((e: Error) => log.error('audit-store-error', { error: e.message }))
  const { privateKey } = options.signingKey
  const keyId = auditKeyIdOf(createPublicKey(privateKey))
  const { everyEvents, everySeconds } = options.checkpoint
  const db = await openAuditDatabase({
    ...(options.databaseUrl && { databaseUrl: options.databaseUrl }),
    dataDir: options.dataDir,
    onError,
  })
  let unsignedAtOpen: boolean
  try {
    await migrateAuditDatabase(db)
    unsignedAtOpen = (await readHead(db, GENESIS_HASH)).seq > (await lastCheckpointSeq(db))
  } catch (e) {
    await db.close().catch(() => undefined)
    throw e
  }

  // One append or checkpoint at a time in this process; the chain lock orders processes.
  let queue: Promise<unknown> = Promise.resolve()
  const serial = <T>(fn: () => Promise<T>): Promise<T> => {
    const run = queue.then(fn, fn)
    queue = run.catch(() => undefined)
    return run
  }
  let closed = false
  let timer: NodeJS.Timeout | undefined
  /** Calls made before close() still run; calls after it are refused. */
  const whileOpen = <T>(fn: () => Promise<T>): Promise<T> =>
    closed
      ? Promise.reject(new AuditStoreError('AUDIT_STORE_CLOSED', 'the audit store is closed'))
      : fn()

  const disarm = () => {
    if (timer) clearTimeout(timer)
    timer = undefined
  }
  const arm = () => {
    if (timer || closed) return
    timer = setTimeout(() => {
      timer = undefined
      checkpoint().catch((e: Error) => {
        onError(e)
        arm()
      })
    }, everySeconds * 1000)
    // A pending checkpoint never keeps the process alive; close() signs what is left.
    timer.unref()
  }

  const notify = (c: AuditCheckpoint) => {
    disarm()
    if (!options.onCheckpoint) return
    try {
      const r = options.onCheckpoint(c) as Promise<unknown> | undefined
      if (r && typeof r.then === 'function') r.then(undefined, onError)
    } catch (e) {
      onError(e as Error)
    }
  }

  /** Under the chain lock: signs the head when rows after the last checkpoint exist. */
  const signHead = async (tx: AuditSql): Promise<AuditCheckpoint | undefined> => {
    const head = await readHead(tx, GENESIS_HASH)
    if (head.seq === 0 || (await lastCheckpointSeq(tx)) >= head.seq) return undefined
    const c = signCheckpoint(
      { seq: head.seq, headHash: head.hash, time: microsOf(new Date())! },
      privateKey,
      keyId,
    )
    await insertCheckpoint(tx, c)
    return c
  }

  const checkpoint = () =>
    serial(async () => {
      const c = await db.transaction(async (tx) => {
        await tx.query('SELECT pg_advisory_xact_lock($1)', [CHAIN_LOCK])
        return signHead(tx)
      })
      if (c) notify(c)
      return c
    })

  const append = (events: readonly AuditEvent[]) =>
    serial(async (): Promise<AppendResult> => {
      const rejected: RejectedEvent[] = []
      const candidates: UnchainedRow[] = []
      const seen = new Set<string>()
      let repeated = 0
      events.forEach((event, index) => {
        const row = rowOfEvent(event, options.sink)
        if ('problem' in row) {
          const id = (event as { id?: unknown } | null)?.id
          rejected.push({ index, ...(typeof id === 'string' && { eventId: id }), ...row })
        } else if (seen.has(row.eventId)) {
          repeated++
        } else {
          seen.add(row.eventId)
          candidates.push(row)
        }
      })
      if (!candidates.length) return { written: 0, skipped: repeated, rejected }
      const outcome = await db.transaction(async (tx) => {
        await tx.query('SELECT pg_advisory_xact_lock($1)', [CHAIN_LOCK])
        const stored = await tx.query<{ event_id: string }>(
          'SELECT event_id FROM audit_events WHERE event_id = ANY($1::text[])',
          [candidates.map((c) => c.eventId)],
        )
        const storedIds = new Set(stored.map((s) => s.event_id))
        const fresh = candidates.filter((c) => !storedIds.has(c.eventId))
        if (!fresh.length) return { rows: [] as AuditRow[], skipped: storedIds.size }
        let { seq, hash } = await readHead(tx, GENESIS_HASH)
        const rows = fresh.map((r) => {
          const row = chainRow(r, ++seq, hash)
          hash = row.hash
          return row
        })
        await insertRows(tx, rows)
        const due = seq - (await lastCheckpointSeq(tx)) >= everyEvents
        const c = due ? await signHead(tx) : undefined
        return { rows, skipped: storedIds.size, checkpoint: c }
      })
      const result: AppendResult = {
        written: outcome.rows.length,
        skipped: outcome.skipped + repeated,
        rejected,
      }
      if (outcome.rows.length) result.lastSeq = outcome.rows[outcome.rows.length - 1]!.seq
      if (outcome.checkpoint) {
        result.checkpoint = outcome.checkpoint
        notify(outcome.checkpoint)
      } else if (outcome.rows.length) {
        arm()
      }
      return result
    })

  // Rows a previous run left unsigned get their checkpoint on the usual clock.
  if (unsignedAtOpen) arm()

  return {
    backend: db.backend,
    location: db.location,
    database: db,
    keyId,
    append: (events) =>
      Array.isArray(events)
        ? whileOpen(() => append(events))
        : Promise.reject(new AuditStoreError('AUDIT_OPTIONS_INVALID', 'append takes an array')),
    checkpoint: () => whileOpen(checkpoint),
    query: (q = {}) => whileOpen(() => queryAudit(db, q)),
    head: () => whileOpen(() => readHead(db, GENESIS_HASH)),
    async close() {
      if (closed) return
      closed = true
      disarm()
      try {
        await checkpoint()
      } catch (e) {
        onError(e as Error)
      } finally {
        disarm()
        await db.close()
      }
    },
  }
}
