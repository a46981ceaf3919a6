/**
 * The edge's real link: the worker under `wrangler dev`, its LinkPool Durable Objects
 * dialling the link nats-server over WebSocket with the edge's nkey, and this test acting as
 * the relay on the link (the relay's own identity, its queue group, its answers).
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import type { Msg, NatsConnection, Subscription } from '@nats-io/nats-core'
import {
  MSG_ID_HEADER,
  decodeRequest,
  encodeResponse,
  isInboxOf,
  subjects,
  type RequestEnvelope,
  type ResponseEnvelope,
} from '../../core/index.js'
import { startBuses, type BusHarness } from '../harness/buses.js'
import { bearerTokenFor } from '../harness/tokens.js'
import { freePort } from '../../runtime/index.js'
import { linkUrlOf, startWranglerDev, type WranglerDev } from '../harness/wrangler.js'

const DEADLINE_MS = 3_000

interface Seen {
  subject: string
  reply: string
  request: RequestEnvelope
  msgId: string | undefined
}

let buses: BusHarness
let edge: WranglerDev
let relay: NatsConnection
let serving: Subscription | undefined

/** Answers link requests as the relay does: decode, then reply on the message's inbox. */
async function serve(
  answer: (req: RequestEnvelope) => Partial<ResponseEnvelope> | 'silent',
): Promise<Seen[]> {
  const seen: Seen[] = []
  serving = relay.subscribe(subjects.linkRequestAll, {
    queue: 'relay',
    callback: (err, msg: Msg) => {
      if (err) return
      const request = decodeRequest(msg.headers, msg.data)
      seen.push({
        subject: msg.subject,
        reply: msg.reply ?? '',
        request,
        msgId: msg.headers?.get(MSG_ID_HEADER),
      })
      const a = answer(request)
      if (a === 'silent') return
      const { requestId, deadline, method, host, port, path, query } = request
      const response: ResponseEnvelope = {
        request: { requestId, deadline, method, host, port, path, query },
        status: 200,
        headers: [['content-type', 'application/json']],
        body: new TextEncoder().encode(JSON.stringify({ path })),
        ...a,
      }
      const { headers, data } = encodeResponse(response)
      msg.respond(data, { headers })
    },
  })
  // The subscription is in place at the server before the test sends anything.
  await relay.flush()
  return seen
}

async function problem(res: Response): Promise<Record<string, unknown>> {
  expect(res.headers.get('content-type')).toBe('application/problem+json')
  return (await res.json()) as Record<string, unknown>
}

beforeAll(async () => {
  buses = await startBuses({ edge: { deadlineMs: DEADLINE_MS } })
  // The link's URL list names a node nobody listens on besides the real one: a pool object
  // that dials it first moves on to the next.
  edge = await startWranglerDev({
    dir: buses.dir,
    config: buses.config,
    keysDir: buses.keysDir,
    port: buses.config.edge.port,
    linkUrl: `ws://127.0.0.1:${await freePort()},${linkUrlOf(buses.config)}`,
  })
  relay = await buses.connect('relay', 'link')
}, 90_000)

afterEach(async () => {
  await serving?.drain()
  serving = undefined
})

afterAll(async () => {
  await edge?.stop()
  await buses?.stop()
})

describe('edge link under wrangler dev', () => {
  it('LINK-501 a request reaches the link without Authorization or internal headers and comes back', async () => {
    const seen = await serve(() => ({
      status: 201,
      headers: [
        ['content-type', 'application/json'],
        ['portcullis-actor', 'secret-token'],
        ['x-upstream', 'yes'],
      ],
    }))
    const bearer = await bearerTokenFor(buses.keysDir, ['orders'])
    const res = await fetch(`${edge.url}/demo/orders?limit=2`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        authorization: `Bearer ${bearer}`,
        'portcullis-actor': 'forged',
        'x-forwarded-for': '10.1.2.3',
        'x-request-id': 'client-chosen',
        'x-custom': 'kept',
      },
      body: JSON.stringify({ item: 'tea', quantity: 1 }),
    })
    expect(res.status).toBe(201)
    expect(await res.json()).toEqual({ path: '/orders' })
    expect(res.headers.get('portcullis-actor')).toBeNull()
    expect(res.headers.get('x-upstream')).toBe('yes')
    const requestId = res.headers.get('x-request-id')!
    expect(requestId).toMatch(/^[0-9a-f]{32}$/)

    expect(seen).toHaveLength(1)
    const { subject, reply, request, msgId } = seen[0]!
    expect(subject).toBe(subjects.linkRequest('local'))
    expect(isInboxOf(reply, 'local')).toBe(true)
    expect(msgId).toBe(requestId)
    expect(request).toMatchObject({
      requestId,
      method: 'POST',
      host: 'demo',
      port: 443,
      path: '/orders',
      query: 'limit=2',
    })
    expect(request.edgeId).toBeUndefined()
    expect(request.replyTo).toBeUndefined()
    // The actor is the access token the ingress minted for the bearer token.
    expect(request.actor).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+$/)
    expect(request.actor).not.toBe('forged')
    expect(JSON.stringify(request)).not.toContain(bearer)
    const names = request.headers.map(([n]) => n)
    expect(names).toContain('x-custom')
    for (const banned of [
      'authorization',
      'portcullis-actor',
      'x-forwarded-for',
      'x-request-id',
      'host',
      'cf-connecting-ip',
    ]) {
      expect(names).not.toContain(banned)
    }
    expect(JSON.parse(new TextDecoder().decode(request.body))).toEqual({ item: 'tea', quantity: 1 })
  })

  it('LINK-502 refused requests never reach the link', async () => {
    const seen = await serve(() => ({}))
    for (const path of ['/demo:666/orders', '/demo:888/orders', '/nope/orders', '/demo/admin']) {
      const res = await fetch(`${edge.url}${path}`)
      expect(res.status).toBe(404)
      expect((await problem(res)).requestId).toBe(res.headers.get('x-request-id'))
    }
    const trace = await fetch(`${edge.url}/demo/orders`, { method: 'TRACE' }).catch(() => undefined)
    if (trace) expect(trace.status).toBe(405)
    expect(seen).toHaveLength(0)
  })

  it('LINK-503 many concurrent requests succeed over the pooled, reused connections, one per shard, every shard used', async () => {
    const seen = await serve(() => ({}))
    const batch = async (n: number) => {
      const all = await Promise.all(
        Array.from({ length: n }, (_, i) =>
          fetch(`${edge.url}/demo/orders/${i}`).then((r) => r.status),
        ),
      )
      expect(all.every((s) => s === 200)).toBe(true)
    }
    await batch(100)
    // The mux inbox of each connection: pc.link.inbox.local.<connection nuid>.<token>
    const connectionsOf = (list: Seen[]) => new Set(list.map((s) => s.reply.split('.')[4]))
    const first = connectionsOf(seen)
    // Request ids are random and hash to a shard: 100 requests reach all of 4 shards (the
    // chance that one gets none is 4 * (3/4)^100, about 1e-12).
    expect(first.size).toBe(buses.config.edge.linkPoolSize)
    const before = seen.length
    await batch(60)
    const again = connectionsOf(seen.slice(before))
    for (const c of again) expect(first.has(c)).toBe(true)
    expect(seen).toHaveLength(160)
  })

  it('LINK-504 without an answer the edge answers 504 GATEWAY_TIMEOUT at the deadline', async () => {
    const seen = await serve(() => 'silent')
    const started = Date.now()
    const res = await fetch(`${edge.url}/demo/orders`)
    const elapsed = Date.now() - started
    expect(res.status).toBe(504)
    expect((await problem(res)).code).toBe('GATEWAY_TIMEOUT')
    expect(seen).toHaveLength(1)
    expect(elapsed).toBeGreaterThanOrEqual(DEADLINE_MS - 200)
    expect(elapsed).toBeLessThan(DEADLINE_MS + 2_000)
  })

  it('LINK-505 with nobody serving the link subject the edge answers 503 BUS_UNAVAILABLE once the first half of the deadline is spent trying again', async () => {
    const started = Date.now()
    const res = await fetch(`${edge.url}/demo/orders`)
    expect(res.status).toBe(503)
    expect((await problem(res)).code).toBe('BUS_UNAVAILABLE')
    expect(Date.now() - started).toBeLessThan(DEADLINE_MS)
  })

  it('LINK-507 the link server restarted under load: requests that arrive while it is away wait for it (first half of their deadline) and are answered 200', async () => {
    await serve(() => ({}))
    const results: Array<{ status: number; at: number }> = []
    let stop = false
    let n = 0
    // Four independent clients: one request waiting out its deadline holds up only its own.
    const client = async () => {
      while (!stop) {
        const status = await fetch(`${edge.url}/demo/orders/${n++}`, {
          signal: AbortSignal.timeout(2 * DEADLINE_MS),
        })
          .then(async (r) => {
            await r.arrayBuffer()
            return r.status
          })
          .catch(() => 0)
        results.push({ status, at: Date.now() })
      }
    }
    const load = Promise.all([client(), client(), client(), client()])
    await new Promise((r) => setTimeout(r, 500))
    const downAt = Date.now()
    await buses.stopServer('link')
    await buses.startServer('link')
    const awayMs = Date.now() - downAt
    await new Promise((r) => setTimeout(r, DEADLINE_MS + 500))
    stop = true
    await load
    const failed = results.filter((r) => r.status !== 200).map((r) => r.status)
    const after = results.filter((r) => r.at > downAt).length
    console.info(
      JSON.stringify({ event: 'link-restarted', awayMs, requests: results.length, after, failed }),
    )
    expect(after).toBeGreaterThan(8)
    // Only a request in flight when the server went (its answer had nowhere to go) may fail;
    // without the wait, every request of the restart's window was a 503 at once.
    expect(failed.length).toBeLessThanOrEqual(4)
  }, 60_000)

  it('LINK-506 with the link server stopped the edge answers 503 BUS_UNAVAILABLE within the deadline, and recovers', async () => {
    await serve(() => ({}))
    expect((await fetch(`${edge.url}/demo/orders`)).status).toBe(200)
    await buses.stopServer('link')
    await new Promise((r) => setTimeout(r, 500))
    for (let i = 0; i < 8; i++) {
      const started = Date.now()
      const res = await fetch(`${edge.url}/demo/orders/${i}`)
      expect(res.status).toBe(503)
      expect((await problem(res)).code).toBe('BUS_UNAVAILABLE')
      expect(Date.now() - started).toBeLessThan(DEADLINE_MS)
    }
    await buses.startServer('link')
    const until = Date.now() + 15_000
    let status = 0
    while (Date.now() < until) {
      status = (await fetch(`${edge.url}/demo/orders`)).status
      if (status === 200) break
      await new Promise((r) => setTimeout(r, 250))
    }
    expect(status).toBe(200)
  }, 60_000)
})
