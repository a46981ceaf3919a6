/**
 * The on-prem request path for real: five nats-servers, the relay, both validators, the
 * backend connector and the demo upstream, driven the way the edge drives it, over the
 * link's WebSocket listener as the edge identity.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { jetstream } from '@nats-io/jetstream'
import type { NatsConnection } from '@nats-io/nats-core'
import {
  decodeResponse,
  encodeRequest,
  newRequestId,
  subjects,
  type RequestEnvelope,
  type ResponseEnvelope,
} from '../../core/index.js'
import { createLogger, type Running } from '../../runtime/index.js'
import { startRelay } from '../../bridge/relay/index.js'
import { startRequestValidator } from '../../validators/request/index.js'
import { startResponseValidator } from '../../validators/response/index.js'
import { startBackend } from '../../backend/index.js'
import { startDemo, type DemoServer, type ReceivedRequest } from '../../demo/server.js'
import { connectLinkWebsocket, startBuses, type BusHarness } from '../harness/buses.js'
import { accessTokenFor } from '../harness/tokens.js'

const log = createLogger((process.env.PORTCULLIS_TEST_LOG as 'debug' | undefined) ?? 'error')
const UPSTREAM_TIMEOUT_MS = 800

let h: BusHarness
let demo: DemoServer
let stages: Running[] = []
let edge: NatsConnection
/** POST /orders needs `roles.orders`: the access token the ingress would have put in. */
let actor: string

type Call = Partial<Omit<RequestEnvelope, 'body'>> & { body?: string | Uint8Array; json?: unknown }

function envelope(call: Call = {}): RequestEnvelope {
  const { json, body, ...rest } = call
  const bytes =
    json !== undefined
      ? new TextEncoder().encode(JSON.stringify(json))
      : typeof body === 'string'
        ? new TextEncoder().encode(body)
        : (body ?? new Uint8Array())
  return {
    requestId: newRequestId(),
    deadline: Date.now() + 10_000,
    method: json !== undefined ? 'POST' : 'GET',
    host: 'demo',
    port: 443,
    path: '/orders',
    query: '',
    headers: json !== undefined ? [['content-type', 'application/json']] : [],
    ...(json !== undefined ? { actor } : {}),
    body: bytes,
    ...rest,
  }
}

/** What the edge does: a NATS request on its link subject, the answer on its inbox. */
async function send(env: RequestEnvelope, timeout = 8_000): Promise<ResponseEnvelope> {
  const wire = encodeRequest(env)
  const reply = await edge.request(subjects.linkRequest('local'), wire.data, {
    headers: wire.headers,
    timeout,
  })
  return decodeResponse(reply.headers, reply.data)
}

const bodyText = (env: ResponseEnvelope) => new TextDecoder().decode(env.body)

async function received(): Promise<ReceivedRequest[]> {
  const res = await fetch(`${demo.url}/_demo/received`)
  return ((await res.json()) as { requests: ReceivedRequest[] }).requests
}

beforeAll(async () => {
  h = await startBuses({ upstreams: { demo: { timeoutMs: UPSTREAM_TIMEOUT_MS } } })
  demo = await startDemo(h.config, log)
  actor = await accessTokenFor(h.keysDir, ['orders'])
  stages = await Promise.all([
    startRelay(h.config, log),
    startRequestValidator(h.config, log),
    startBackend(h.config, log, 'demo'),
    startResponseValidator(h.config, log),
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

describe('the on-prem request path', () => {
  it('answers a valid GET with the upstream body', async () => {
    const env = envelope()
    const res = await send(env)
    expect(res.status).toBe(200)
    expect(res.error).toBeUndefined()
    expect(res.request.requestId).toBe(env.requestId)
    expect(JSON.parse(bodyText(res)).orders).toHaveLength(2)
    expect(res.headers).toContainEqual(['content-type', 'application/json'])
    const [seen] = await received()
    expect(seen).toMatchObject({
      requestId: env.requestId,
      idempotencyKey: env.requestId,
      method: 'GET',
      path: '/orders',
    })
  })

  it('answers a valid POST with 201 and the created order', async () => {
    const res = await send(envelope({ json: { item: 'tea', quantity: 2 } }))
    expect(res.status).toBe(201)
    expect(JSON.parse(bodyText(res))).toMatchObject({ item: 'tea', quantity: 2, id: '3' })
  })

  it('PIPE-001 refuses a body that breaks the schema; the upstream never sees it', async () => {
    const env = envelope({ json: { item: 'tea', quantity: 5000 } })
    const res = await send(env)
    expect(res).toMatchObject({
      status: 400,
      error: 'BODY_SCHEMA_VIOLATION',
      detail: '/quantity must be <= 1000',
    })
    expect(res.body.length).toBe(0)
    expect(await received()).toEqual([])
  })

  it('PIPE-002 refuses a leaking response: 502, and no trace of the leak reaches the edge', async () => {
    const res = await send(envelope({ path: '/debug/leak' }))
    expect(res).toMatchObject({ status: 502, error: 'RESPONSE_LEAK' })
    expect(res.detail).toBeUndefined()
    expect(res.body.length).toBe(0)
    const everything = JSON.stringify(res.headers) + bodyText(res)
    for (const leak of ['stack', 'ECONNREFUSED', '10.0.3.7', 'Express', 'Apache', 'server.ts']) {
      expect(everything).not.toContain(leak)
    }
    expect(await received()).toHaveLength(1)
  })

  it('PIPE-003 answers 504 UPSTREAM_TIMEOUT for a slow upstream', async () => {
    await fetch(`${demo.url}/_demo/control`, {
      method: 'POST',
      body: JSON.stringify({ delayMs: UPSTREAM_TIMEOUT_MS + 700 }),
    })
    const started = Date.now()
    const res = await send(envelope())
    expect(res).toMatchObject({ status: 504, error: 'UPSTREAM_TIMEOUT' })
    expect(Date.now() - started).toBeLessThan(UPSTREAM_TIMEOUT_MS + 600)
  })

  it('PIPE-004 publishing the same request id to dreq twice calls the upstream once', async () => {
    const relayOnDreq = await h.connect('relay', 'dreq')
    const js = jetstream(relayOnDreq)
    const inbox = `${subjects.linkInbox('local')}.dup${Date.now()}`
    const answers: ResponseEnvelope[] = []
    const sub = edge.subscribe(inbox, {
      callback: (_e, m) => void answers.push(decodeResponse(m.headers, m.data)),
    })
    await edge.flush()
    const env = {
      ...envelope({ json: { item: 'once', quantity: 1 } }),
      edgeId: 'local',
      replyTo: inbox,
    }
    const acks = []
    for (let i = 0; i < 2; i++) {
      const wire = encodeRequest(env)
      acks.push(
        await js.publish(subjects.dirtyRequest('local', 'demo'), wire.data, {
          headers: wire.headers,
          msgID: env.requestId,
        }),
      )
    }
    expect(acks.map((a) => a.duplicate)).toEqual([false, true])
    await waitFor(() => answers.length > 0)
    await new Promise((r) => setTimeout(r, 300))
    sub.unsubscribe()
    expect(answers).toHaveLength(1)
    expect(answers[0]!.status).toBe(201)
    expect((await received()).filter((r) => r.requestId === env.requestId)).toHaveLength(1)
  })

  it('PIPE-005 dresp down while the upstream answers: the answer arrives later and the upstream is called once', async () => {
    await h.stopServer('dresp')
    const env = envelope({ json: { item: 'late', quantity: 1 } })
    const pending = send(env, 9_000)
    await waitFor(async () => (await received()).length > 0)
    await new Promise((r) => setTimeout(r, 600))
    await h.startServer('dresp')
    const res = await pending
    expect(res.status).toBe(201)
    expect((await received()).filter((r) => r.requestId === env.requestId)).toHaveLength(1)
  })

  it('STAGE-002 dreq down: the relay answers the link request 503 BUS_UNAVAILABLE itself, since nothing would redeliver it', async () => {
    await h.stopServer('dreq')
    try {
      const started = Date.now()
      const res = await send(envelope(), 8_000)
      expect(res).toMatchObject({ status: 503, error: 'BUS_UNAVAILABLE' })
      // Within the relay's publish bound (5 s, half the 10 s left), not the request's deadline.
      expect(Date.now() - started).toBeLessThan(7_500)
    } finally {
      await h.startServer('dreq')
    }
    await waitFor(
      async () => (await send(envelope()).catch(() => undefined))?.status === 200,
      15_000,
    )
  })

  it('PIPE-006 answers 502 UPSTREAM_UNAVAILABLE when the upstream is down', async () => {
    await demo.stop()
    try {
      const res = await send(envelope())
      expect(res).toMatchObject({ status: 502, error: 'UPSTREAM_UNAVAILABLE' })
    } finally {
      demo = await startDemo(h.config, log)
    }
    expect((await send(envelope())).status).toBe(200)
  })
})

async function waitFor(check: () => boolean | Promise<boolean>, timeoutMs = 5_000): Promise<void> {
  const until = Date.now() + timeoutMs
  while (!(await check())) {
    if (Date.now() > until) throw new Error('condition not met in time')
    await new Promise((r) => setTimeout(r, 25))
  }
}
