/**
 * The demo upstream: a small orders API behind the gateway, so the local stack shows real
 * traffic. It is the operator's side of the wall: it trusts nothing about the gateway
 * beyond the headers it documents (`X-Request-Id`, `Idempotency-Key`, `Portcullis-Actor`).
 *
 * Routes in demo/openapi.json: GET /orders, GET /orders/{id}, POST /orders,
 * POST /orders/{id}/notes, GET /search, GET /admin/stats, GET /ping (rate limited at the edge),
 * GET /session (a cookie without flags and an internal field: the response validator hardens
 * the one and drops the other), and GET /debug/leak, which misbehaves on purpose (a stack
 * trace, an undeclared field and banner headers) so the response validator has something to
 * stop.
 * GET /orders/{id} answers with an ETag and honours If-None-Match (304 Not Modified).
 * Control routes, deliberately absent from the OpenAPI document so the gateway never routes
 * them: GET /_demo/received, GET /_demo/executions, POST /_demo/control {"delayMs"?: n, "next"?: {status, headers,
 * body | bodyBase64}} (the next request gets exactly that answer), POST /_demo/reset.
 */
import { createHash } from 'node:crypto'
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import type { Logger, Running } from '../runtime/index.js'

export interface Order {
  id: string
  item: string
  quantity: number
  createdAt: string
}

/** One request as the demo saw it (control requests are not recorded). */
export interface ReceivedRequest {
  requestId?: string
  idempotencyKey?: string
  method: string
  path: string
  /** The raw query, without the `?`. */
  query: string
  headers: Record<string, string | string[] | undefined>
  body: string
}

export interface Note {
  id: string
  orderId: string
  text: string
  author: string
  tags?: string[]
}

export interface DemoServer extends Running {
  url: string
  port: number
}

export interface DemoOptions {
  /** Overrides `config.demo.port`; 0 picks a free port. */
  port?: number
  now?: () => number
}

const MAX_BODY_BYTES = 1_000_000
const MAX_RECEIVED = 1_000
/** Methods counted per Idempotency-Key (`/_demo/executions`). */
const WRITES = new Set(['POST', 'PUT', 'PATCH', 'DELETE'])
/** Keys counted by `/_demo/executions`; the oldest is forgotten beyond this. */
const MAX_EXECUTION_KEYS = 200_000
const SEED: ReadonlyArray<Omit<Order, 'createdAt'>> = [
  { id: '1', item: 'widget', quantity: 3 },
  { id: '2', item: 'gadget', quantity: 1 },
]

interface Answer {
  status: number
  headers: Record<string, string | string[]>
  /** Text, or bytes (a control answer's `bodyBase64`: compressed or not UTF-8). */
  body: string | Buffer
}

const json = (
  status: number,
  value: unknown,
  headers: Record<string, string | string[]> = {},
): Answer => ({
  status,
  headers: { 'content-type': 'application/json', ...headers },
  body: JSON.stringify(value),
})

function one(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value
}

/** A `/_demo/control` body, or undefined when it is not one. */
function readControl(text: string): { delayMs?: number; next?: Answer } | undefined {
  let input: unknown
  try {
    input = JSON.parse(text)
  } catch {
    return undefined
  }
  if (typeof input !== 'object' || input === null || Array.isArray(input)) return undefined
  const { delayMs, next, ...rest } = input as Record<string, unknown>
  if (Object.keys(rest).length > 0) return undefined
  const out: { delayMs?: number; next?: Answer } = {}
  if (delayMs !== undefined) {
    if (!Number.isInteger(delayMs) || (delayMs as number) < 0) return undefined
    out.delayMs = delayMs as number
  }
  if (next !== undefined) {
    if (typeof next !== 'object' || next === null) return undefined
    const { status, headers = {}, body = '', bodyBase64, ...more } = next as Record<string, unknown>
    if (Object.keys(more).length > 0 || typeof body !== 'string') return undefined
    if (bodyBase64 !== undefined && (typeof bodyBase64 !== 'string' || body !== ''))
      return undefined
    if (!Number.isInteger(status) || (status as number) < 100 || (status as number) > 599) {
      return undefined
    }
    if (typeof headers !== 'object' || headers === null || Array.isArray(headers)) return undefined
    const valid = Object.values(headers).every(
      (v) => typeof v === 'string' || (Array.isArray(v) && v.every((x) => typeof x === 'string')),
    )
    if (!valid) return undefined
    out.next = {
      status: status as number,
      headers: headers as Answer['headers'],
      body: typeof bodyBase64 === 'string' ? Buffer.from(bodyBase64, 'base64') : body,
    }
  }
  return out
}

/** Serves the demo upstream on 127.0.0.1 (never on another interface) at `config.demo.port`. */
export async function startDemo(
  config: { demo: { port: number } },
  log: Logger,
  options: DemoOptions = {},
): Promise<DemoServer> {
  const now = options.now ?? Date.now
  let orders: Order[] = []
  let nextId = 0
  let notes: Note[] = []
  let received: ReceivedRequest[] = []
  let delayMs = 0
  /** The answer the next routed request gets instead of its own (`/_demo/control` `next`). */
  let next: Answer | undefined
  /** Idempotency-Key -> the answer given for it (a promise while the first is in progress). */
  let replies = new Map<string, Promise<Answer>>()
  /**
   * Idempotency-Key -> non-safe requests received with it: what the upstream would have
   * executed without its own record, so tests can prove the gateway never sent one twice.
   */
  let executions = new Map<string, number>()

  const reset = () => {
    const createdAt = new Date(now()).toISOString()
    orders = SEED.map((o) => ({ ...o, createdAt }))
    nextId = SEED.length + 1
    notes = []
    received = []
    delayMs = 0
    next = undefined
    replies = new Map()
    executions = new Map()
  }
  reset()

  const createOrder = (body: string): Answer => {
    let input: unknown
    try {
      input = JSON.parse(body)
    } catch {
      return json(400, { error: 'body is not JSON' })
    }
    const { item, quantity } = (input ?? {}) as { item?: unknown; quantity?: unknown }
    if (typeof item !== 'string' || !Number.isInteger(quantity)) {
      return json(400, { error: 'item and quantity are required' })
    }
    const order: Order = {
      id: String(nextId++),
      item,
      quantity: quantity as number,
      createdAt: new Date(now()).toISOString(),
    }
    orders.push(order)
    return json(201, order)
  }

  const addNote = (orderId: string, body: string): Answer => {
    if (!orders.some((o) => o.id === orderId)) return json(404, { error: 'no such order' })
    let input: { text?: unknown; author?: unknown; tags?: unknown }
    try {
      input = (JSON.parse(body) ?? {}) as typeof input
    } catch {
      return json(400, { error: 'body is not JSON' })
    }
    const { text, author, tags } = input
    if (typeof text !== 'string' || typeof author !== 'string') {
      return json(400, { error: 'text and author are required' })
    }
    const note: Note = { id: String(notes.length + 1), orderId, text, author }
    if (Array.isArray(tags)) note.tags = tags.map(String)
    notes.push(note)
    return json(201, note)
  }

  const search = (query: URLSearchParams): Answer => {
    const q = (query.get('q') ?? '').toLowerCase()
    let found = orders.filter((o) => o.item.toLowerCase().includes(q))
    const sort = query.get('sort')
    if (sort === 'item') found = [...found].sort((a, b) => a.item.localeCompare(b.item))
    if (sort === 'quantity') found = [...found].sort((a, b) => a.quantity - b.quantity)
    const limit = Number(query.get('limit') ?? found.length)
    return json(200, { orders: found.slice(0, limit) })
  }

  const leak = (): Answer => {
    const err = new Error('connect ECONNREFUSED 10.0.3.7:5432')
    return json(
      200,
      {
        status: 'ok',
        debug: { stack: err.stack, database: 'postgres://orders@10.0.3.7:5432/orders' },
      },
      { server: 'Apache/2.4.41 (Ubuntu)', 'x-powered-by': 'Express' },
    )
  }

  const route = async (
    req: http.IncomingMessage,
    path: string,
    query: URLSearchParams,
    body: string,
  ): Promise<Answer> => {
    const method = req.method ?? 'GET'
    if (path === '/search' && method === 'GET') return search(query)
    const note = /^\/orders\/([^/]+)\/notes$/.exec(path)
    if (note && method === 'POST') return addNote(note[1]!, body)
    if (path === '/orders' && method === 'GET') return json(200, { orders })
    if (path === '/orders' && method === 'POST') {
      const key = one(req.headers['idempotency-key'])
      if (!key) return createOrder(body)
      let reply = replies.get(key)
      if (!reply) {
        reply = Promise.resolve(createOrder(body))
        replies.set(key, reply)
      }
      return reply
    }
    const m = /^\/orders\/([^/]+)$/.exec(path)
    if (m && method === 'GET') {
      const order = orders.find((o) => o.id === m[1])
      if (!order) return json(404, { error: 'no such order' })
      const answer = json(200, order)
      const etag = `"${createHash('sha256').update(answer.body).digest('base64url').slice(0, 16)}"`
      const asked = one(req.headers['if-none-match'])
      if (
        asked !== undefined &&
        asked.split(',').some((t) => t.trim() === etag || t.trim() === '*')
      ) {
        return { status: 304, headers: { etag }, body: '' }
      }
      return { ...answer, headers: { ...answer.headers, etag } }
    }
    if (path === '/admin/stats' && method === 'GET') return json(200, { orders: orders.length })
    if (path === '/ping' && method === 'GET') return json(200, { status: 'ok' })
    if (path === '/debug/leak' && method === 'GET') return leak()
    if (path === '/session' && method === 'GET') {
      const expiresAt = new Date(now() + 3_600_000).toISOString()
      return json(
        200,
        { user: 'demo', expiresAt, internalId: 'u-1932' },
        { 'set-cookie': `session=s${now().toString(36)}; Path=/; SameSite=None` },
      )
    }
    return json(404, { error: 'not found' })
  }

  const control = (method: string, path: string, body: string): Answer | undefined => {
    if (path === '/_demo/received' && method === 'GET') return json(200, { requests: received })
    if (path === '/_demo/executions' && method === 'GET') {
      return json(200, { executions: Object.fromEntries(executions) })
    }
    if (path === '/_demo/reset' && method === 'POST') {
      reset()
      return json(200, { reset: true })
    }
    if (path === '/_demo/control' && method === 'POST') {
      const control = readControl(body)
      if (!control) {
        return json(400, {
          error:
            'expected {"delayMs"?: <non-negative integer>, "next"?: {"status": <100-599>, "headers"?: {<name>: <string or strings>}, "body"?: <string> | "bodyBase64"?: <base64>}}',
        })
      }
      if (control.delayMs !== undefined) delayMs = control.delayMs
      if (control.next) next = control.next
      return json(200, { delayMs, next: next !== undefined })
    }
    return undefined
  }

  const server = http.createServer((req, res) => {
    const started = now()
    const chunks: Buffer[] = []
    let size = 0
    req.on('data', (c: Buffer) => {
      size += c.length
      if (size <= MAX_BODY_BYTES) chunks.push(c)
    })
    req.on('end', () => {
      void (async () => {
        const method = req.method ?? 'GET'
        const url = req.url ?? '/'
        const q = url.indexOf('?')
        const path = q < 0 ? url : url.slice(0, q)
        const body = Buffer.concat(chunks).toString('utf8')
        let answer: Answer
        if (size > MAX_BODY_BYTES) answer = json(413, { error: 'body too large' })
        else {
          const ctl = path.startsWith('/_demo/') ? control(method, path, body) : undefined
          if (ctl) answer = ctl
          else {
            const seen: ReceivedRequest = {
              method,
              path,
              query: q < 0 ? '' : url.slice(q + 1),
              headers: { ...req.headers },
              body,
            }
            const requestId = one(req.headers['x-request-id'])
            const idempotencyKey = one(req.headers['idempotency-key'])
            if (requestId) seen.requestId = requestId
            if (idempotencyKey) seen.idempotencyKey = idempotencyKey
            if (idempotencyKey && WRITES.has(method)) {
              executions.set(idempotencyKey, (executions.get(idempotencyKey) ?? 0) + 1)
              // Bounded like `received`: a soak run never grows the demo without end.
              if (executions.size > MAX_EXECUTION_KEYS) {
                executions.delete(executions.keys().next().value!)
              }
            }
            received.push(seen)
            if (received.length > MAX_RECEIVED) received.shift()
            if (delayMs > 0) await new Promise((r) => setTimeout(r, delayMs))
            const canned = next
            next = undefined
            answer =
              canned ??
              (await route(req, path, new URLSearchParams(q < 0 ? '' : url.slice(q + 1)), body))
          }
        }
        if (res.destroyed) return
        res.writeHead(answer.status, {
          ...answer.headers,
          'content-length': Buffer.byteLength(answer.body),
        })
        res.end(answer.body)
        log.info('request', {
          method,
          path,
          status: answer.status,
          ms: now() - started,
          requestId: one(req.headers['x-request-id']),
        })
      })()
    })
  })

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(options.port ?? config.demo.port, '127.0.0.1', () => {
      server.off('error', reject)
      resolve()
    })
  })
  const { port, address } = server.address() as AddressInfo
  return {
    port,
    url: `http://${address}:${port}`,
    async stop() {
      server.closeAllConnections()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }
}
