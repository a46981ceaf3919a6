/**
 * The reading side of the running sink's socket (`audit/sink/reader-server.ts`): while the
 * sink holds the embedded store, `portcullis audit show | verify` read through it. Verify
 * first reads the head, then pages rows and checkpoints bounded by it, so rows appended
 * during the walk are not walked and their checkpoints are no false `truncated`.
 */
import type { KeyObject } from 'node:crypto'
import { existsSync } from 'node:fs'
import { request } from 'node:http'
import { join } from 'node:path'
import type { AuditRow } from './canonical.js'
import type { AuditCheckpoint } from './checkpoint.js'
import { EMBEDDED_DIR, EMBEDDED_SOCKET, READER_MAX_ROWS, READER_TIMEOUT_MS } from './constants.js'
import { AuditStoreError } from './errors.js'
import type { AuditQuery, StoredAuditEvent } from './query.js'
import {
  verifyAuditTrail,
  type AuditTrailReader,
  type AuditVerification,
  type VerifyOptions,
} from './verify.js'

export interface RemoteHead {
  seq: number
  hash: string
  /** The last checkpoint's seq when the head was read (0 for none). */
  checkpointSeq: number
}

export interface RemoteAuditReader {
  /** The store's folder, and that it is read through the sink. */
  readonly location: string
  head(): Promise<RemoteHead>
  /**
   * The trail as it stood at `head`: its rows, and the checkpoints that existed then. A
   * checkpoint past the head's row (a cut-off tail) is among them; one signed later is not.
   */
  trail(head: RemoteHead): AuditTrailReader
  query(query: AuditQuery): Promise<StoredAuditEvent[]>
  verify(
    publicKey: KeyObject | readonly KeyObject[],
    options?: VerifyOptions,
  ): Promise<AuditVerification>
}

const refused = (socket: string, why: string) =>
  new AuditStoreError('AUDIT_SINK_REFUSED', `the audit sink at ${socket} ${why}`)

function get(socketPath: string, path: string): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const req = request(
      { socketPath, path, method: 'GET', agent: false, timeout: READER_TIMEOUT_MS },
      (res) => {
        const chunks: Buffer[] = []
        res.on('data', (chunk: Buffer) => chunks.push(chunk))
        res.on('error', reject)
        res.on('end', () => {
          let body: unknown
          try {
            body = JSON.parse(Buffer.concat(chunks).toString('utf8'))
          } catch {
            return reject(refused(socketPath, `answered ${res.statusCode} with no JSON`))
          }
          if (res.statusCode === 200) return resolve(body)
          const { code, detail } = (body ?? {}) as { code?: unknown; detail?: unknown }
          reject(
            code === 'AUDIT_READ_INVALID'
              ? new AuditStoreError('AUDIT_QUERY_INVALID', String(detail))
              : refused(
                  socketPath,
                  `answered ${res.statusCode} ${String(code)}: ${String(detail)}`,
                ),
          )
        })
      },
    )
    req.on('timeout', () =>
      req.destroy(new Error(`no answer within ${READER_TIMEOUT_MS / 1000} s`)),
    )
    req.on('error', (e) =>
      reject(
        new AuditStoreError(
          'AUDIT_SINK_UNREACHABLE',
          `cannot read through the audit sink at ${socketPath}: ${e.message}`,
          { cause: e },
        ),
      ),
    )
    req.end()
  })
}

const wholeNumber = (v: unknown): v is number =>
  typeof v === 'number' && Number.isSafeInteger(v) && v >= 0

/** Objects with seqs ascending within (after, upTo], at most `limit`: else the answer is refused. */
function pageOf<T>(socket: string, body: unknown, after: number, upTo: number, limit: number): T[] {
  if (!Array.isArray(body) || body.length > limit)
    throw refused(socket, 'answered a page that is not a list of at most the rows asked')
  let last = after
  for (const item of body as unknown[]) {
    const seq = (item as { seq?: unknown } | null)?.seq
    if (typeof item !== 'object' || !wholeNumber(seq) || seq <= last || seq > upTo)
      throw refused(socket, `answered rows out of seq order or outside ${after} to ${upTo}`)
    last = seq
  }
  return body as T[]
}

/** The reader on `<dataDir>/audit.sock`; refused at once when there is no socket. */
export function openAuditReader(dataDir: string): RemoteAuditReader {
  const socket = join(dataDir, EMBEDDED_SOCKET)
  if (!existsSync(socket))
    throw new AuditStoreError('AUDIT_SINK_UNREACHABLE', `no audit sink socket at ${socket}`)

  const page = async <T>(what: string, after: number, limit: number, upTo: number) => {
    const n = Math.min(limit, READER_MAX_ROWS)
    const body = await get(socket, `/${what}?after=${after}&upTo=${upTo}&limit=${n}`)
    return pageOf<T>(socket, body, after, upTo, n)
  }

  const reader: RemoteAuditReader = {
    location: `${join(dataDir, EMBEDDED_DIR)} (read through the running audit sink)`,
    async head() {
      const body = (await get(socket, '/head')) as Partial<RemoteHead> | null
      if (
        !wholeNumber(body?.seq) ||
        typeof body.hash !== 'string' ||
        !wholeNumber(body.checkpointSeq)
      )
        throw refused(socket, 'answered a head that is not { seq, hash, checkpointSeq }')
      return { seq: body.seq, hash: body.hash, checkpointSeq: body.checkpointSeq }
    },
    trail(head) {
      const checkpointsUpTo = Math.max(head.seq, head.checkpointSeq)
      return {
        rowsAfter: (after, limit) => page<AuditRow>('rows', after, limit, head.seq),
        checkpointsAfter: (after, limit) =>
          page<AuditCheckpoint>('checkpoints', after, limit, checkpointsUpTo),
      }
    },
    async query(q) {
      const params = new URLSearchParams()
      if (q.requestId !== undefined) params.set('requestId', q.requestId)
      for (const key of ['since', 'until'] as const) {
        const value = q[key]
        if (value !== undefined)
          params.set(key, value instanceof Date ? value.toISOString() : value)
      }
      if (q.verdict !== undefined) params.set('verdict', q.verdict)
      if (q.limit !== undefined) params.set('limit', String(q.limit))
      const body = await get(socket, `/events?${params}`)
      if (!Array.isArray(body)) throw refused(socket, 'answered events that are not a list')
      return body as StoredAuditEvent[]
    },
    async verify(publicKey, options = {}) {
      const head = await reader.head()
      const pageRows = Math.min(options.pageRows ?? READER_MAX_ROWS, READER_MAX_ROWS)
      return verifyAuditTrail(reader.trail(head), publicKey, { ...options, pageRows })
    },
  }
  return reader
}
