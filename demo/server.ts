/**
 * The demo upstream: a small orders API behind the gateway, so the local stack shows real
 * traffic. It is the operator's side of the wall: it trusts nothing about the gateway
 * beyond the headers it documents (`X-Request-Id`, `Idempotency-Key`, `Portcullis-Actor`).
 *
 * Routes in demo/openapi.json: GET /orders, GET /orders/{id}, POST /orders, GET /admin/stats,
 * GET /ping (rate limited at the edge),
 * and GET /debug/leak, which misbehaves on purpose (a stack trace, an undeclared field and
 * banner headers) so the response validator has something to stop.
 * Control routes, deliberately absent from the OpenAPI document so the gateway never routes
 * them: GET /_demo/received, POST /_demo/control {"delayMs": n}, POST /_demo/reset.
 */
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
  headers: Record<string, string | string[] | undefined>
  body: string
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
const SEED: ReadonlyArray<Omit<Order, 'createdAt'>> = [
  { id: '1', item: 'widget', quantity: 3 },
  { id: '2', item: 'gadget', quantity: 1 },
]

interface Answer {
  status: number
  headers: Record<string, string>
  body: string
}

const json = (status: number, value: unknown, headers: Record<string, string> = {}): Answer => ({
  status,
  headers: { 'content-type': 'application/json', ...headers },
  body: JSON.stringify(value),
})

function one(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value
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
  let received: ReceivedRequest[] = []
  let delayMs = 0
  /** Idempotency-Key -> the answer given for it (a promise while the first is in progress). */
  let replies = new Map<string, Promise<Answer>>()

  const reset = () => {
    const createdAt = new Date(now()).toISOString()
    orders = SEED.map((o) => ({ ...o, createdAt }))
    nextId = SEED.length + 1
    received = []
    delayMs = 0
    replies = new Map()
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

  const route = async (req: http.IncomingMessage, path: string, body: string): Promise<Answer> => {
    const method = req.method ?? 'GET'
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
      return order ? json(200, order) : json(404, { error: 'no such order' })
    }
    if (path === '/admin/stats' && method === 'GET') return json(200, { orders: orders.length })
    if (path === '/ping' && method === 'GET') return json(200, { status: 'ok' })
    if (path === '/debug/leak' && method === 'GET') return leak()
    return json(404, { error: 'not found' })
  }

  const control = (method: string, path: string, body: string): Answer | undefined => {
    if (path === '/_demo/received' && method === 'GET') return json(200, { requests: received })
    if (path === '/_demo/reset' && method === 'POST') {
      reset()
      return json(200, { reset: true })
    }
    if (path === '/_demo/control' && method === 'POST') {
      try {
        const value = (JSON.parse(body) as { delayMs?: unknown }).delayMs
        if (!Number.isInteger(value) || (value as number) < 0) throw new Error('delayMs')
        delayMs = value as number
        return json(200, { delayMs })
      } catch {
        return json(400, { error: 'expected {"delayMs": <non-negative integer>}' })
      }
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
            const seen: ReceivedRequest = { method, path, headers: { ...req.headers }, body }
            const requestId = one(req.headers['x-request-id'])
            const idempotencyKey = one(req.headers['idempotency-key'])
            if (requestId) seen.requestId = requestId
            if (idempotencyKey) seen.idempotencyKey = idempotencyKey
            received.push(seen)
            if (received.length > MAX_RECEIVED) received.shift()
            if (delayMs > 0) await new Promise((r) => setTimeout(r, delayMs))
            answer = await route(req, path, body)
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
