/**
 * The running sink's read-only window onto its embedded store: HTTP over the Unix socket
 * `<paths.data>/audit.sock`, mode 0600, GET only. PGlite serves one process, so while the
 * sink holds the store, `portcullis audit show | verify` read through here
 * (`audit/store/remote.ts`), on the sink's own open database.
 *
 *   GET /head                               { seq, hash, checkpointSeq }, one snapshot
 *   GET /rows?after=&upTo=&limit=           stored rows, seq order (what verify walks)
 *   GET /checkpoints?after=&upTo=&limit=    stored checkpoints, likewise
 *   GET /events?requestId=&since=&until=&verdict=&limit=   queryAudit
 *
 * Bad input is 400 `AUDIT_READ_INVALID` (problem+json), an unknown path 404, any other
 * method 405. Nothing here writes.
 */
import { chmodSync, lstatSync, rmSync } from 'node:fs'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import { join } from 'node:path'
import {
  AUDIT_VERDICTS,
  failureReason,
  PROBLEM_CONTENT_TYPE,
  type AuditVerdict,
} from '../../core/index.js'
import {
  AuditStoreError,
  EMBEDDED_SOCKET,
  GENESIS_HASH,
  READER_MAX_ROWS,
  READER_PAGE_BYTES,
  lastCheckpointSeq,
  readCheckpoints,
  readHead,
  readRows,
  type AuditQuery,
  type AuditStore,
} from '../store/index.js'

export interface AuditReaderServer {
  readonly path: string
  close(): Promise<void>
}

class BadRequest extends Error {}

type Params = Map<string, string>

/** Only the names given, each at most once. */
function paramsOf(url: URL, allowed: readonly string[]): Params {
  const out: Params = new Map()
  for (const [name, value] of url.searchParams) {
    if (!allowed.includes(name)) throw new BadRequest(`unknown parameter ${JSON.stringify(name)}`)
    if (out.has(name)) throw new BadRequest(`${name} is given twice`)
    out.set(name, value)
  }
  return out
}

function wholeNumber(params: Params, name: string, min: number, max: number): number | undefined {
  const text = params.get(name)
  if (text === undefined) return undefined
  if (!/^\d{1,16}$/.test(text) || Number(text) < min || Number(text) > max)
    throw new BadRequest(`${name} must be a whole number from ${min} to ${max}`)
  return Number(text)
}

const RANGE = ['after', 'upTo', 'limit'] as const

function rangeOf(url: URL) {
  const params = paramsOf(url, RANGE)
  return {
    after: wholeNumber(params, 'after', 0, Number.MAX_SAFE_INTEGER) ?? 0,
    upTo: wholeNumber(params, 'upTo', 0, Number.MAX_SAFE_INTEGER),
    limit: wholeNumber(params, 'limit', 1, READER_MAX_ROWS) ?? READER_MAX_ROWS,
  }
}

/** A JSON array of whole items, stopping short of READER_PAGE_BYTES; the first always goes. */
function pageOf(items: readonly unknown[]): string {
  const parts: string[] = []
  let bytes = 2
  for (const item of items) {
    const json = JSON.stringify(item)
    bytes += json.length + 1
    if (parts.length > 0 && bytes > READER_PAGE_BYTES) break
    parts.push(json)
  }
  return `[${parts.join(',')}]`
}

function queryOf(url: URL): AuditQuery {
  const params = paramsOf(url, ['requestId', 'since', 'until', 'verdict', 'limit'])
  const q: AuditQuery = {}
  const requestId = params.get('requestId')
  if (requestId !== undefined) q.requestId = requestId
  for (const key of ['since', 'until'] as const) {
    const value = params.get(key)
    if (value !== undefined) q[key] = value
  }
  const verdict = params.get('verdict')
  if (verdict !== undefined) {
    if (!AUDIT_VERDICTS.includes(verdict as AuditVerdict))
      throw new BadRequest(`verdict must be one of ${AUDIT_VERDICTS.join(', ')}`)
    q.verdict = verdict as AuditVerdict
  }
  const limit = wholeNumber(params, 'limit', 1, Number.MAX_SAFE_INTEGER)
  if (limit !== undefined) q.limit = limit
  return q
}

/** The answer's JSON text for one GET, or undefined for an unknown path. */
async function answer(store: AuditStore, url: URL): Promise<string | undefined> {
  const db = store.database
  switch (url.pathname) {
    case '/head': {
      paramsOf(url, [])
      const head = await db.transaction(
        async (tx) => ({
          ...(await readHead(tx, GENESIS_HASH)),
          checkpointSeq: await lastCheckpointSeq(tx),
        }),
        'snapshot',
      )
      return JSON.stringify(head)
    }
    case '/rows': {
      const { after, upTo, limit } = rangeOf(url)
      return pageOf(await readRows(db, after, limit, upTo))
    }
    case '/checkpoints': {
      const { after, upTo, limit } = rangeOf(url)
      return pageOf(await readCheckpoints(db, after, limit, upTo))
    }
    case '/events':
      return JSON.stringify(await store.query(queryOf(url)))
    default:
      return undefined
  }
}

function send(res: ServerResponse, status: number, body: string, type = 'application/json') {
  res.writeHead(status, { 'content-type': type, 'content-length': Buffer.byteLength(body) })
  res.end(body)
}

function problem(res: ServerResponse, status: number, code: string, title: string, detail: string) {
  const body = JSON.stringify({ type: 'about:blank', title, status, code, detail })
  send(res, status, body, PROBLEM_CONTENT_TYPE)
}

async function handle(store: AuditStore, req: IncomingMessage, res: ServerResponse) {
  req.resume()
  if (req.method !== 'GET') {
    res.setHeader('allow', 'GET')
    return problem(
      res,
      405,
      'AUDIT_READ_METHOD',
      'Method Not Allowed',
      'the audit reader only reads: GET',
    )
  }
  try {
    const body = await answer(store, new URL(req.url ?? '/', 'http://audit-sink'))
    if (body === undefined)
      return problem(res, 404, 'AUDIT_READ_NOT_FOUND', 'Not Found', 'no such path')
    send(res, 200, body)
  } catch (e) {
    if (
      e instanceof BadRequest ||
      (e instanceof AuditStoreError && e.code === 'AUDIT_QUERY_INVALID')
    )
      return problem(res, 400, 'AUDIT_READ_INVALID', 'Bad Request', e.message)
    if (e instanceof AuditStoreError && e.code === 'AUDIT_STORE_CLOSED')
      return problem(res, 503, e.code, 'Service Unavailable', e.message)
    problem(res, 500, 'AUDIT_READ_FAILED', 'Internal Server Error', failureReason(e))
  }
}

/** A socket a sink that died left behind is removed; any other file there is not touched. */
function removeStaleSocket(path: string): void {
  let stat
  try {
    stat = lstatSync(path)
  } catch {
    return
  }
  if (!stat.isSocket())
    throw new AuditStoreError('AUDIT_OPTIONS_INVALID', `${path} exists and is not a socket`)
  rmSync(path, { force: true })
}

/**
 * Serves `store` at `<dataDir>/audit.sock`. Call it only while holding the embedded store's
 * lock: a socket already there is then a dead sink's.
 */
export async function startAuditReaderServer(
  store: AuditStore,
  dataDir: string,
  /** Failures of the listening socket once it listens (accept errors); default: ignored. */
  onError: (error: Error) => void = () => undefined,
): Promise<AuditReaderServer> {
  const path = join(dataDir, EMBEDDED_SOCKET)
  removeStaleSocket(path)
  // Until the chmod below, the socket has the umask's mode: connections then are dropped.
  let ready = false
  const server = createServer((req, res) => void handle(store, req, res))
  server.on('connection', (socket) => {
    if (!ready) socket.destroy()
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(path, () => {
      server.off('error', reject)
      resolve()
    })
  })
  try {
    chmodSync(path, 0o600)
  } catch (e) {
    server.close()
    rmSync(path, { force: true })
    throw e
  }
  ready = true
  server.on('error', onError)
  let closed: Promise<void> | undefined
  return {
    path,
    close: () =>
      (closed ??= new Promise<void>((resolve) => {
        server.close(() => resolve())
        server.closeAllConnections()
      }).finally(() => rmSync(path, { force: true }))),
  }
}
