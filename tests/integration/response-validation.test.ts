/**
 * The response validator for real: five nats-servers, the relay, both validators, the
 * backend connector and the demo upstream, driven over the link as the edge drives it. The
 * demo is told what to answer next (`/_demo/control` `next`), so each case is an upstream
 * that leaks or misbehaves in one way, and the test checks what the edge receives: the
 * status, the code, the request id, and not one byte of the leak. The response validator's
 * log is captured to check that the full reason lands there, without the leaked text.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import type { NatsConnection } from '@nats-io/nats-core'
import {
  decodeResponse,
  encodeRequest,
  newRequestId,
  subjects,
  type ErrorCode,
  type RequestEnvelope,
  type ResponseEnvelope,
} from '../../core/index.js'
import { gzipSync } from 'node:zlib'
import { createLogger, type Running } from '../../runtime/index.js'
import { startRelay } from '../../bridge/relay/index.js'
import { startRequestValidator } from '../../validators/request/index.js'
import { startResponseValidator } from '../../validators/response/index.js'
import { startBackend } from '../../backend/index.js'
import { startDemo, type DemoServer } from '../../demo/server.js'
import { connectLinkWebsocket, startBuses, type BusHarness } from '../harness/buses.js'
import { accessTokenFor } from '../harness/tokens.js'

const log = createLogger((process.env.PORTCULLIS_TEST_LOG as 'debug' | undefined) ?? 'error')
/** The response validator's own log lines. */
const lines: string[] = []

let h: BusHarness
let demo: DemoServer
let stages: Running[] = []
let edge: NatsConnection

const JSON_TYPE = { 'content-type': 'application/json' }
const ORDER = { id: '1', item: 'tea', quantity: 2, createdAt: '2024-01-01T00:00:00.000Z' }

function envelope(path: string): RequestEnvelope {
  return {
    requestId: newRequestId(),
    deadline: Date.now() + 10_000,
    method: 'GET',
    host: 'demo',
    port: 443,
    path,
    query: '',
    headers: [],
    body: new Uint8Array(),
  }
}

/** What the edge does: a NATS request on its link subject, the answer on its inbox. */
async function send(env: RequestEnvelope): Promise<ResponseEnvelope> {
  const wire = encodeRequest(env)
  const reply = await edge.request(subjects.linkRequest('local'), wire.data, {
    headers: wire.headers,
    timeout: 8_000,
  })
  return decodeResponse(reply.headers, reply.data)
}

interface Upstream {
  status?: number
  headers?: Record<string, string | string[]>
  body: unknown
  /** Bytes instead of `body`. */
  bytes?: Uint8Array
}

/** The demo answers the next request with `upstream`; the edge asks `path`. */
async function answerWith(upstream: Upstream, path = '/orders/1') {
  const res = await fetch(`${demo.url}/_demo/control`, {
    method: 'POST',
    body: JSON.stringify({
      next: {
        status: upstream.status ?? 200,
        headers: upstream.headers ?? JSON_TYPE,
        ...(upstream.bytes
          ? { bodyBase64: Buffer.from(upstream.bytes).toString('base64') }
          : {
              body:
                typeof upstream.body === 'string' ? upstream.body : JSON.stringify(upstream.body),
            }),
      },
    }),
  })
  expect(res.status).toBe(200)
  const env = envelope(path)
  return { env, res: await send(env) }
}

const everything = (res: ResponseEnvelope) =>
  JSON.stringify(res.headers) + (res.detail ?? '') + new TextDecoder().decode(res.body)

function expectRefused(res: ResponseEnvelope, env: RequestEnvelope, code: ErrorCode) {
  expect(res).toMatchObject({ status: 502, error: code })
  expect(res.request.requestId).toBe(env.requestId)
  expect(res.body.length).toBe(0)
  expect(res.headers).toEqual([])
  expect(res.detail).toBeUndefined()
}

/** The response validator's refusal line for `requestId`, once it is written. */
async function refusalLine(requestId: string): Promise<string> {
  const until = Date.now() + 3_000
  for (;;) {
    const line = lines.find((l) => l.includes(`requestId=${requestId}`) && / refuse /.test(l))
    if (line) return line
    if (Date.now() > until) throw new Error(`no refusal logged for ${requestId}`)
    await new Promise((r) => setTimeout(r, 20))
  }
}

beforeAll(async () => {
  h = await startBuses()
  demo = await startDemo(h.config, log)
  stages = await Promise.all([
    startRelay(h.config, log),
    startRequestValidator(h.config, log),
    startBackend(h.config, log, 'demo'),
    startResponseValidator(
      h.config,
      createLogger('info', (line) => lines.push(line)),
    ),
  ])
  edge = await connectLinkWebsocket(h, 'edge-local')
})

afterAll(async () => {
  await edge?.close()
  await Promise.allSettled(stages.map((s) => s.stop()))
  await demo?.stop()
  await h?.stop()
})

beforeEach(async () => {
  await fetch(`${demo.url}/_demo/reset`, { method: 'POST' })
})

describe('response validation end to end', () => {
  it('RESP-102 the demo leak route: 502 RESPONSE_LEAK, and nothing of the leak reaches the edge', async () => {
    const env = envelope('/debug/leak')
    const res = await send(env)
    expectRefused(res, env, 'RESPONSE_LEAK')
    for (const leak of ['stack', 'ECONNREFUSED', '10.0.3.7', 'Express', 'Apache', 'server.ts']) {
      expect(everything(res)).not.toContain(leak)
    }
    const line = await refusalLine(env.requestId)
    expect(line).toMatch(/code=RESPONSE_LEAK/)
    expect(line).toMatch(/reason=.*(stack-trace\/node|internal-address\/ipv4) in \/debug/)
    expect(line).not.toContain('10.0.3.7')
  })

  // `item` is user data in the demo (x-portcullis-user-data): the leaks go into `createdAt`.
  it.each([
    [
      'RESP-103 a Java stack trace in a declared member',
      { body: { ...ORDER, createdAt: 'at com.acme.Repo.find(Repo.java:42)' } },
      'stack-trace/java in /createdAt',
      'Repo.java',
    ],
    [
      'RESP-104 a PostgreSQL error in a declared member',
      { body: { ...ORDER, createdAt: 'relation "orders_v2" does not exist' } },
      'sql-error/postgres in /createdAt',
      'orders_v2',
    ],
    [
      'RESP-105 an IPv6 unique local address',
      { body: { ...ORDER, createdAt: 'fd00:ab:cd::17' } },
      'internal-address/ipv6 in /createdAt',
      'fd00:ab',
    ],
    [
      'RESP-106 a PEM private key',
      { body: { ...ORDER, createdAt: '-----BEGIN EC PRIVATE KEY-----\nMHcCAQEE\n' } },
      'private-key/pem in /createdAt',
      'MHcCAQEE',
    ],
    [
      'RESP-107 an AWS access key in a response header',
      { headers: { ...JSON_TYPE, 'x-key': ['AKIA', 'Z7Q2LM4PX9TR8VW1'].join('') }, body: ORDER },
      'cloud-key/aws-access-key in header x-key',
      'Z7Q2LM4PX9TR8VW1',
    ],
    [
      'RESP-108 a Windows path in a declared error body',
      { status: 404, body: { error: 'missing D:\\orders\\data\\1.json' } },
      'file-path/windows in /error',
      'D:\\orders',
    ],
    [
      'RESP-109 a JWT in a declared member',
      {
        body: {
          ...ORDER,
          createdAt: 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhZG1pbiJ9.c2lnbmF0dXJlLXNoYXBlZA',
        },
      },
      'token/jwt in /createdAt',
      'eyJzdWIiOiJhZG1pbiJ9',
    ],
  ] as const)('%s: 502 RESPONSE_LEAK', async (_name, upstream, reason, secret) => {
    const { env, res } = await answerWith(upstream)
    expectRefused(res, env, 'RESPONSE_LEAK')
    expect(everything(res)).not.toContain(secret)
    const line = await refusalLine(env.requestId)
    expect(line).toContain(reason)
    expect(line).not.toContain(secret)
  })

  it('RESP-110 the session route: cookie forced Secure, HttpOnly, SameSite=Strict; the internal field dropped', async () => {
    const res = await send(envelope('/session'))
    expect(res.status).toBe(200)
    const body = JSON.parse(new TextDecoder().decode(res.body)) as Record<string, unknown>
    expect(Object.keys(body).sort()).toEqual(['expiresAt', 'user'])
    const cookies = res.headers.filter(([n]) => n === 'set-cookie').map(([, v]) => v)
    expect(cookies).toHaveLength(1)
    expect(cookies[0]).toMatch(/^session=\w+; Path=\/; HttpOnly; Secure; SameSite=Strict$/)
    expect(res.headers).toContainEqual(['x-content-type-options', 'nosniff'])
  })

  it('RESP-111 an undeclared member on a route with the default policy is refused', async () => {
    const { env, res } = await answerWith({ body: { ...ORDER, costPrice: 1.25 } })
    expectRefused(res, env, 'RESPONSE_SCHEMA_VIOLATION')
    expect(everything(res)).not.toContain('costPrice')
    expect(await refusalLine(env.requestId)).toContain('undeclared member /costPrice')
  })

  it('RESP-112 a cookie outside the RFC 6265 grammar is refused', async () => {
    const { env, res } = await answerWith({
      headers: { ...JSON_TYPE, 'set-cookie': 'sid=a b; Path=/' },
      body: ORDER,
    })
    expectRefused(res, env, 'RESPONSE_SCHEMA_VIOLATION')
  })

  it('RESP-113 declared JSON that does not parse is refused', async () => {
    const { env, res } = await answerWith({ body: '{"id":"1","item":' })
    expectRefused(res, env, 'RESPONSE_SCHEMA_VIOLATION')
  })

  it('RESP-114 a legitimate body that looks suspicious passes byte for byte', async () => {
    const order = {
      ...ORDER,
      createdAt: "O'Brien's tea v10.0.0.1 (build 10.0.0.1-beta), see https://example.com/var/1",
    }
    const { res } = await answerWith({ body: order })
    expect(res.status).toBe(200)
    expect(res.error).toBeUndefined()
    expect(new TextDecoder().decode(res.body)).toBe(JSON.stringify(order))
  })

  it('RESP-115 a long valid body passes unchanged', async () => {
    const orders = Array.from({ length: 3000 }, (_, i) => ({
      ...ORDER,
      id: String(i),
      item: `item ${i}, at 10:30 from O'Brien's`,
    }))
    const body = JSON.stringify({ orders })
    expect(body.length).toBeGreaterThan(200_000)
    const { res } = await answerWith({ body }, '/orders')
    expect(res.status).toBe(200)
    expect(new TextDecoder().decode(res.body)).toBe(body)
  })
})

/** What the demo received for `requestId` (undefined when the request never got there). */
async function received(
  requestId: string,
): Promise<{ headers: Record<string, unknown> } | undefined> {
  const res = await fetch(`${demo.url}/_demo/received`)
  const { requests } = (await res.json()) as {
    requests: Array<{ requestId?: string; headers: Record<string, unknown> }>
  }
  return requests.find((r) => r.requestId === requestId)
}

const text = (res: ResponseEnvelope) => new TextDecoder().decode(res.body)

describe('the bytes judged are the bytes sent', () => {
  it('RESP-230 the upstream is asked for identity whatever the client accepts; a gzip answer is refused, not passed on unread', async () => {
    await fetch(`${demo.url}/_demo/control`, {
      method: 'POST',
      body: JSON.stringify({
        next: {
          status: 200,
          headers: { ...JSON_TYPE, 'content-encoding': 'gzip' },
          bodyBase64: gzipSync(JSON.stringify(ORDER)).toString('base64'),
        },
      }),
    })
    const env = {
      ...envelope('/orders/1'),
      headers: [['accept-encoding', 'br, gzip']] as [string, string][],
    }
    const res = await send(env)
    expectRefused(res, env, 'RESPONSE_SCHEMA_VIOLATION')
    expect((await received(env.requestId))?.headers['accept-encoding']).toBe('identity')
    expect(await refusalLine(env.requestId)).toContain('content-encoding gzip')
  })

  it('RESP-231 a stack trace in the earlier of two duplicate keys never reaches the client with 200', async () => {
    const body =
      '{"id":"1","item":"tea","quantity":2,"createdAt":"at run (/srv/app/orders.js:10:5)","createdAt":"2024-01-01T00:00:00.000Z"}'
    const { env, res } = await answerWith({ body })
    expectRefused(res, env, 'RESPONSE_LEAK')
    const plain = '{"id":"1","item":"tea","item":"coffee","quantity":2,"createdAt":"2024-01-01"}'
    const second = await answerWith({ body: plain })
    expectRefused(second.res, second.env, 'RESPONSE_SCHEMA_VIOLATION')
    expect(await refusalLine(second.env.requestId)).toContain('a duplicate key at /item')
  })

  it('RESP-232 a conditional GET is answered 304 by the upstream and passes, without a body; a 304 to a plain GET is refused', async () => {
    const first = await send(envelope('/orders/1'))
    expect(first.status).toBe(200)
    const etag = first.headers.find(([n]) => n === 'etag')?.[1]
    expect(etag).toMatch(/^"[\w-]+"$/)
    const env = {
      ...envelope('/orders/1'),
      headers: [['if-none-match', etag!]] as [string, string][],
    }
    const res = await send(env)
    expect(res.status).toBe(304)
    expect(res.error).toBeUndefined()
    expect(res.body.length).toBe(0)
    expect(res.headers).toContainEqual(['etag', etag!])
    expect(res.headers.map(([n]) => n)).not.toContain('portcullis-conditional')
    // The same 304 to a GET that asked nothing conditional.
    const { env: plainEnv, res: plain } = await answerWith({
      status: 304,
      headers: { etag: etag! },
      body: '',
    })
    expect(plain).toMatchObject({ status: 502, error: 'RESPONSE_STATUS_NOT_ALLOWED' })
    expect(plain.request.requestId).toBe(plainEnv.requestId)
  })
})

describe('stored text does not shut a route for everyone', () => {
  const post = async (item: string): Promise<{ env: RequestEnvelope; res: ResponseEnvelope }> => {
    const env: RequestEnvelope = {
      ...envelope('/orders'),
      method: 'POST',
      headers: [['content-type', 'application/json']],
      actor: await accessTokenFor(h.keysDir, ['orders']),
      body: new TextEncoder().encode(JSON.stringify({ item, quantity: 1 })),
    }
    return { env, res: await send(env) }
  }

  it('STORE-020 POST /orders with an item "router 10.0.0.1" is refused at the door; GET /orders stays 200 for everyone', async () => {
    const { env, res } = await post('router 10.0.0.1')
    expect(res).toMatchObject({ status: 400, error: 'BODY_LEAK_SIGNATURE' })
    expect(res.detail).toBe('internal-address/ipv4 in /item')
    expect(await received(env.requestId)).toBeUndefined()
    const list = await send(envelope('/orders'))
    expect(list.status).toBe(200)
    expect(text(list)).not.toContain('10.0.0.1')
    const ok = await post("O'Brien's tea")
    expect(ok.res.status).toBe(201)
  })

  it("STORE-021 an item stored another way is the client's text, not a leak: GET /orders and GET /orders/{id} answer 200", async () => {
    const direct = await fetch(`${demo.url}/orders`, {
      method: 'POST',
      headers: JSON_TYPE,
      body: JSON.stringify({ item: 'router 10.0.0.1 at /home/ops', quantity: 1 }),
    })
    const { id } = (await direct.json()) as { id: string }
    const list = await send(envelope('/orders'))
    expect(list.status).toBe(200)
    expect(text(list)).toContain('router 10.0.0.1 at /home/ops')
    const one = await send(envelope(`/orders/${id}`))
    expect(one.status).toBe(200)
  })

  it('STORE-022 an answer to a write that is refused says the write may have been applied, with the request id', async () => {
    await fetch(`${demo.url}/_demo/control`, {
      method: 'POST',
      body: JSON.stringify({
        next: {
          status: 201,
          headers: JSON_TYPE,
          body: JSON.stringify({ ...ORDER, createdAt: 'at run (/srv/app/orders.js:10:5)' }),
        },
      }),
    })
    const { env, res } = await post('tea')
    expect(res).toMatchObject({ status: 502, error: 'WRITE_OUTCOME_UNKNOWN' })
    expect(res.request.requestId).toBe(env.requestId)
    expect(res.detail).toBe('the upstream answered and its answer was refused (RESPONSE_LEAK)')
    expect(everything(res)).not.toContain('/srv/app')
    expect(await received(env.requestId)).toBeDefined()
    expect(await refusalLine(env.requestId)).toMatch(/code=WRITE_OUTCOME_UNKNOWN.*RESPONSE_LEAK/)
  })
})
