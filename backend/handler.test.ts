import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { decodeResponse, encodeRequest, subjects, type RequestEnvelope } from '../core/index.js'
import { createLogger } from '../runtime/index.js'
import { startDemo, type DemoServer, type ReceivedRequest } from '../demo/server.js'
import { freePort } from '../tests/harness/ports.js'
import { createBackendHandler, type Answer, type BackendVerdict } from './handler.js'
import { OnceMemory } from './once.js'
import { createUpstreamClient, type UpstreamClient } from './upstream.js'

const quiet = createLogger('error', () => {})
const text = (s: string) => new TextEncoder().encode(s)
let demo: DemoServer
let client: UpstreamClient
let seq = 0

function request(overrides: Partial<RequestEnvelope> = {}): RequestEnvelope {
  return {
    requestId: `req${String(++seq).padStart(10, '0')}`,
    deadline: Date.now() + 10_000,
    method: 'GET',
    host: 'demo',
    port: 443,
    path: '/orders',
    query: '',
    edgeId: 'local',
    replyTo: 'pc.link.inbox.local.a1',
    headers: [['accept', 'application/json']],
    body: new Uint8Array(),
    ...overrides,
  }
}

function message(env: RequestEnvelope) {
  const wire = encodeRequest(env)
  return { subject: subjects.cleanRequest('demo'), headers: wire.headers, data: wire.data }
}

function handlerFor(baseUrl: string, timeoutMs = 2_000) {
  const memory = new OnceMemory<Answer>({ ttlMs: 60_000, maxPending: 100, maxDelivered: 100 })
  return {
    memory,
    handle: createBackendHandler({
      host: 'demo',
      upstream: { baseUrl, timeoutMs },
      call: client.call,
      memory,
    }),
  }
}

function published(verdict: BackendVerdict) {
  if (verdict.kind !== 'publish')
    throw new Error(`expected a publish, got ${verdict.kind}: ${verdict.reason}`)
  expect(verdict.subject).toBe(subjects.dirtyResponse('demo'))
  return decodeResponse(verdict.wire.headers, verdict.wire.data)
}

async function received(): Promise<ReceivedRequest[]> {
  const res = await fetch(`${demo.url}/_demo/received`)
  return ((await res.json()) as { requests: ReceivedRequest[] }).requests
}

beforeAll(async () => {
  demo = await startDemo({ demo: { port: 0 } }, quiet)
  client = createUpstreamClient({ maxResponseBytes: 10_000, maxSockets: 8 })
})
afterAll(async () => {
  client.close()
  await demo.stop()
})
beforeEach(async () => {
  await fetch(`${demo.url}/_demo/reset`, { method: 'POST' })
})

describe('backend connector handler', () => {
  it('calls the upstream and carries status, headers and body bytes back', async () => {
    const { handle } = handlerFor(demo.url)
    const env = published(await handle(message(request()), Date.now()))
    expect(env.status).toBe(200)
    expect(env.headers).toContainEqual(['content-type', 'application/json'])
    expect(env.headers.map(([n]) => n)).not.toContain('content-length')
    expect(JSON.parse(new TextDecoder().decode(env.body)).orders).toHaveLength(2)
    expect(env.request.replyTo).toBe('pc.link.inbox.local.a1')
  })

  it('BUS-208 takes its host from the subject: a request naming or filed under another host is dropped, the upstream never called', async () => {
    const { handle } = handlerFor(demo.url)
    const naming = await handle(message(request({ host: 'other' })), Date.now())
    expect(naming).toMatchObject({ kind: 'drop' })
    const filed = { ...message(request()), subject: subjects.cleanRequest('other') }
    expect(await handle(filed, Date.now())).toMatchObject({ kind: 'drop' })
    const caller = message(request())
    caller.headers.set('Portcullis-Caller', 'backend-other')
    expect(published(await handle(caller, Date.now())).request.host).toBe('demo')
    expect(await received()).toHaveLength(1)
  })

  it('BACKEND-002 sends the request id, the idempotency key, the actor and the raw body', async () => {
    const { handle } = handlerFor(demo.url)
    const env = request({
      method: 'POST',
      headers: [
        ['content-type', 'application/json'],
        ['authorization', 'Bearer client'],
      ],
      body: text('{"item":"tea","quantity":2}'),
      actor: 'access-token',
    })
    const out = published(await handle(message(env), Date.now()))
    expect(out.status).toBe(201)
    const [seen] = await received()
    expect(seen).toMatchObject({
      requestId: env.requestId,
      idempotencyKey: env.requestId,
      method: 'POST',
      path: '/orders',
      body: '{"item":"tea","quantity":2}',
    })
    expect(seen!.headers['portcullis-actor']).toBe('access-token')
    expect(seen!.headers.authorization).toBeUndefined()
  })

  it('BACKEND-003 a redelivered request gets the first answer; the upstream is called once', async () => {
    const { handle, memory } = handlerFor(demo.url)
    const msg = message(
      request({
        method: 'POST',
        headers: [['content-type', 'application/json']],
        body: text('{"item":"a","quantity":1}'),
      }),
    )
    const first = await handle(msg, Date.now())
    const second = await handle(msg, Date.now())
    expect(first).toMatchObject({ kind: 'publish', reused: false })
    expect(second).toMatchObject({ kind: 'publish', reused: true })
    memory.markDelivered(first.requestId!, Date.now())
    expect(await handle(msg, Date.now())).toMatchObject({ kind: 'drop' })
    expect(await received()).toHaveLength(1)
  })

  it('answers UPSTREAM_UNAVAILABLE when nothing listens', async () => {
    const { handle } = handlerFor(`http://127.0.0.1:${await freePort()}`)
    const verdict = await handle(message(request()), Date.now())
    expect(verdict).toMatchObject({
      kind: 'publish',
      code: 'UPSTREAM_UNAVAILABLE',
      reason: 'ECONNREFUSED',
    })
    expect(published(verdict)).toMatchObject({ status: 502, error: 'UPSTREAM_UNAVAILABLE' })
  })

  it('answers UPSTREAM_TIMEOUT when the upstream is slower than its timeout', async () => {
    await fetch(`${demo.url}/_demo/control`, { method: 'POST', body: '{"delayMs":500}' })
    const { handle } = handlerFor(demo.url, 100)
    const started = Date.now()
    const out = published(await handle(message(request()), Date.now()))
    expect(out).toMatchObject({ status: 504, error: 'UPSTREAM_TIMEOUT' })
    expect(Date.now() - started).toBeLessThan(400)
  })

  it('drops a request past its deadline without calling the upstream', async () => {
    const { handle } = handlerFor(demo.url)
    expect(await handle(message(request({ deadline: Date.now() - 1 })), Date.now())).toMatchObject({
      kind: 'drop',
    })
    expect(await received()).toHaveLength(0)
  })
})

describe('upstream client limits', () => {
  let raw: http.Server
  let base: string
  beforeAll(async () => {
    raw = http.createServer((req, res) => {
      const big = 'x'.repeat(20_000)
      if (req.url === '/declared') res.writeHead(200, { 'content-length': big.length }).end(big)
      else if (req.url === '/chunked') {
        res.writeHead(200, { 'content-type': 'text/plain' })
        res.write(big.slice(0, 8_000))
        setTimeout(() => res.end(big.slice(8_000)), 20)
      } else if (req.url === '/headers') {
        const headers: Record<string, string> = {}
        for (let i = 0; i < 120; i++) headers[`x-h${i}`] = 'v'
        res.writeHead(200, headers).end('ok')
      } else res.writeHead(204).end()
    })
    await new Promise<void>((r) => raw.listen(0, '127.0.0.1', () => r()))
    base = `http://127.0.0.1:${(raw.address() as AddressInfo).port}`
  })
  afterAll(async () => {
    raw.closeAllConnections()
    await new Promise((r) => raw.close(r))
  })

  for (const path of ['/declared', '/chunked', '/headers']) {
    it(`BACKEND-004 stops at the size limit (${path})`, async () => {
      const { handle } = handlerFor(base)
      const out = published(await handle(message(request({ path })), Date.now()))
      expect(out).toMatchObject({ status: 502, error: 'RESPONSE_TOO_LARGE' })
      expect(out.body.length).toBe(0)
    })
  }

  it('reuses kept-alive connections', async () => {
    const { handle } = handlerFor(base)
    const sockets = new Set<unknown>()
    const onConnection = (s: unknown) => sockets.add(s)
    raw.on('connection', onConnection)
    for (let i = 0; i < 5; i++)
      published(await handle(message(request({ path: '/empty' })), Date.now()))
    raw.off('connection', onConnection)
    expect(sockets.size).toBeLessThanOrEqual(1)
  })
})
