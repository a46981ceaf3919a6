/**
 * A client's `Idempotency-Key` on the real request path: five nats-servers, the relay, both
 * validators, the backend connector with its replay records in the `IDEM` stream on creq,
 * and the demo upstream, which counts the writes it receives per key (`/_demo/executions`).
 * Driven as the edge drives it, over the link's WebSocket listener.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { jetstreamManager } from '@nats-io/jetstream'
import type { NatsConnection } from '@nats-io/nats-core'
import {
  decodeResponse,
  encodeRequest,
  newRequestId,
  subjects,
  type HeaderList,
  type RequestEnvelope,
  type ResponseEnvelope,
} from '../../core/index.js'
import { createLogger, READY_LINE, type Running } from '../../runtime/index.js'
import { startRelay } from '../../bridge/relay/index.js'
import { startRequestValidator } from '../../validators/request/index.js'
import { startResponseValidator } from '../../validators/response/index.js'
import { startBackend } from '../../backend/index.js'
import { startDemo, type DemoServer, type ReceivedRequest } from '../../demo/server.js'
import { IDEMPOTENCY_STREAM, idempotencySubjects } from '../../topology/description/idempotency.js'
import { ADMIN } from '../../topology/index.js'
import { connectLinkWebsocket, REPO_ROOT, startBuses, type BusHarness } from '../harness/buses.js'
import { accessTokenFor } from '../harness/tokens.js'

const log = createLogger((process.env.PORTCULLIS_TEST_LOG as 'debug' | undefined) ?? 'error')
const UPSTREAM_TIMEOUT_MS = 4_000
const ACK_WAIT_MS = 1_000

let h: BusHarness
let demo: DemoServer
let stages: Running[] = []
let backend: Running | undefined
let edge: NatsConnection
const tokens: Record<'alice' | 'bob', string> = { alice: '', bob: '' }

interface Post {
  key?: string
  as?: 'alice' | 'bob' | 'anonymous'
  json?: unknown
  path?: string
  headers?: HeaderList
  method?: RequestEnvelope['method']
}

function post({ key, as = 'alice', json, path = '/orders', headers = [], method }: Post) {
  const env: RequestEnvelope = {
    requestId: newRequestId(),
    deadline: Date.now() + 30_000,
    method: method ?? 'POST',
    host: 'demo',
    port: 443,
    path,
    query: '',
    headers: [
      ['content-type', 'application/json'],
      ...(key === undefined ? [] : ([['idempotency-key', key]] as HeaderList)),
      ...headers,
    ],
    ...(as === 'anonymous' ? {} : { actor: tokens[as] }),
    body: new TextEncoder().encode(JSON.stringify(json ?? { item: 'tea', quantity: 2 })),
  }
  if (method === 'GET') env.body = new Uint8Array()
  if (method === 'GET') env.headers = env.headers.filter(([n]) => n !== 'content-type')
  return env
}

/** What the edge does: a NATS request on its link subject, the answer on its inbox. */
async function send(env: RequestEnvelope, timeout = 25_000): Promise<ResponseEnvelope> {
  const wire = encodeRequest(env)
  const reply = await edge.request(subjects.linkRequest('local'), wire.data, {
    headers: wire.headers,
    timeout,
  })
  return decodeResponse(reply.headers, reply.data)
}

const text = (env: ResponseEnvelope) => new TextDecoder().decode(env.body)
const header = (env: ResponseEnvelope, name: string) => env.headers.find(([n]) => n === name)?.[1]

async function received(): Promise<ReceivedRequest[]> {
  const res = await fetch(`${demo.url}/_demo/received`)
  return ((await res.json()) as { requests: ReceivedRequest[] }).requests
}

/** Writes the upstream received per Idempotency-Key it was sent. */
async function executions(): Promise<Record<string, number>> {
  const res = await fetch(`${demo.url}/_demo/executions`)
  return ((await res.json()) as { executions: Record<string, number> }).executions
}

async function control(body: unknown): Promise<void> {
  await fetch(`${demo.url}/_demo/control`, { method: 'POST', body: JSON.stringify(body) })
}

async function until(what: string, check: () => Promise<boolean>, ms = 20_000): Promise<void> {
  const end = Date.now() + ms
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 50))
  }
}

beforeAll(async () => {
  h = await startBuses({
    upstreams: { demo: { timeoutMs: UPSTREAM_TIMEOUT_MS } },
    bus: { ackWaitMs: ACK_WAIT_MS },
  })
  demo = await startDemo(h.config, log)
  tokens.alice = await accessTokenFor(h.keysDir, ['orders'], 'alice')
  tokens.bob = await accessTokenFor(h.keysDir, ['orders'], 'bob')
  stages = await Promise.all([
    startRelay(h.config, log),
    startRequestValidator(h.config, log),
    startResponseValidator(h.config, log),
  ])
  backend = await startBackend(h.config, log, 'demo')
  edge = await connectLinkWebsocket(h, 'edge-local')
  // Five nats-servers and four stages on two shared cores: generous.
}, 180_000)

afterAll(async () => {
  await edge?.close()
  await backend?.stop()
  await Promise.allSettled(stages.map((s) => s.stop()))
  await demo?.stop()
  await h?.stop()
})

beforeEach(async () => {
  await fetch(`${demo.url}/_demo/reset`, { method: 'POST' })
})

describe("a client's Idempotency-Key", () => {
  it('IDEM-001 a retry with the same key and request gets the first answer replayed; the upstream executes the POST once', async () => {
    const first = await send(post({ key: '"order-1"' }))
    expect(first.status).toBe(201)
    expect(header(first, 'idempotent-replayed')).toBeUndefined()
    const retry = post({ key: '"order-1"' })
    const again = await send(retry)
    expect(again.status).toBe(201)
    expect(again.request.requestId).toBe(retry.requestId)
    expect(text(again)).toBe(text(first))
    expect(header(again, 'idempotent-replayed')).toBe('true')
    const seen = await received()
    expect(seen).toHaveLength(1)
    // The upstream gets a caller-scoped key (a digest), not the client's text nor the request id.
    expect(seen[0]!.idempotencyKey).toMatch(/^"[0-9a-f]{64}"$/)
    expect(seen[0]!.requestId).not.toBe(retry.requestId)
    expect(Object.values(await executions())).toEqual([1])
  })

  it('IDEM-002 the same key with another body is 422 IDEMPOTENCY_KEY_REUSED and never reaches the upstream', async () => {
    expect((await send(post({ key: '"order-2"' }))).status).toBe(201)
    const other = await send(post({ key: '"order-2"', json: { item: 'tea', quantity: 3 } }))
    expect(other).toMatchObject({ status: 422, error: 'IDEMPOTENCY_KEY_REUSED' })
    expect(await received()).toHaveLength(1)
  })

  it('IDEM-003 a retry while the first is still in work is 409 IDEMPOTENCY_KEY_IN_FLIGHT; the first completes once', async () => {
    await control({ delayMs: 1_500 })
    const first = send(post({ key: '"order-3"' }))
    await until('the first POST at the upstream', async () => (await received()).length === 1)
    const second = await send(post({ key: '"order-3"' }))
    expect(second).toMatchObject({ status: 409, error: 'IDEMPOTENCY_KEY_IN_FLIGHT' })
    expect((await first).status).toBe(201)
    expect(Object.values(await executions())).toEqual([1])
  })

  it("IDEM-004 another caller's same key is never replayed to this caller: bob gets his own order", async () => {
    const alice = await send(post({ key: '"shared"' }))
    const bob = await send(post({ key: '"shared"', as: 'bob' }))
    expect(alice.status).toBe(201)
    expect(bob.status).toBe(201)
    expect(header(bob, 'idempotent-replayed')).toBeUndefined()
    expect(JSON.parse(text(bob)).id).not.toBe(JSON.parse(text(alice)).id)
    const keys = (await received()).map((r) => r.idempotencyKey)
    expect(new Set(keys).size).toBe(2)
    expect(Object.values(await executions())).toEqual([1, 1])
  })

  it('IDEM-005 the request validator refuses a key that is not one quoted key, and a key without a verified caller, before the upstream', async () => {
    const cases: Array<[RequestEnvelope, string]> = [
      [post({ key: 'bare' }), 'IDEMPOTENCY_KEY_INVALID'],
      [post({ key: `"${'k'.repeat(256)}"` }), 'IDEMPOTENCY_KEY_INVALID'],
      [post({ key: '"two words"' }), 'IDEMPOTENCY_KEY_INVALID'],
      [post({ key: '"a"', headers: [['idempotency-key', '"b"']] }), 'HEADER_INVALID'],
      // A public write (notes take no token): no caller to scope the key to.
      [
        post({
          key: '"n1"',
          as: 'anonymous',
          path: '/orders/1/notes',
          json: { text: 'hi', author: 'x' },
        }),
        'IDEMPOTENCY_KEY_INVALID',
      ],
    ]
    for (const [env, code] of cases) {
      expect(await send(env)).toMatchObject({ status: 400, error: code })
    }
    expect(await received()).toEqual([])
  })

  it('a key on a GET is accepted and has no effect: the upstream is called every time', async () => {
    for (let i = 0; i < 2; i++) {
      expect((await send(post({ key: '"g1"', method: 'GET' }))).status).toBe(200)
    }
    expect(await received()).toHaveLength(2)
  })

  it('IDEM-006 backend-demo alone reads and writes its records: no other identity reaches the IDEM stream', async () => {
    const digest = 'f'.repeat(64)
    for (const identity of ['request-validator', 'audit-sink']) {
      const nc = await h.connect(identity, 'creq')
      const refused = await nc
        .request(
          `$JS.API.DIRECT.GET.${IDEMPOTENCY_STREAM}.${idempotencySubjects.record('demo', digest)}`,
          undefined,
          {
            timeout: 1_000,
          },
        )
        .then(
          () => false,
          () => true,
        )
      expect(refused, identity).toBe(true)
      await nc.close()
    }
    const jsm = await jetstreamManager(await h.connect(ADMIN, 'creq'))
    const info = await jsm.streams.info(IDEMPOTENCY_STREAM)
    expect(info.config).toMatchObject({ max_msgs_per_subject: 1, allow_direct: true })
    expect(info.config.max_age).toBe(h.config.bus.idempotencyWindowMs! * 1_000_000)
  })

  it('IDEM-007 a backend killed (-9) after the upstream call and before its answer: the redelivery does not call the upstream again', async () => {
    // The in-process connector steps aside; a real process takes the consumer.
    await backend?.stop()
    backend = undefined
    let child = await startBackendProcess()
    try {
      await control({ delayMs: 1_500 })
      const pending = send(post({ key: '"order-kill"' }), 40_000)
      await until('the POST at the upstream', async () => (await received()).length === 1)
      child.kill('SIGKILL')
      await new Promise((r) => child.once('exit', r))
      // The upstream applies it (its 1.5 s are up); its answer has nobody to go to.
      await new Promise((r) => setTimeout(r, 1_600))
      await control({ delayMs: 0 })
      child = await startBackendProcess()
      const answer = await pending
      expect(answer).toMatchObject({ status: 502, error: 'WRITE_OUTCOME_UNKNOWN' })
      // A client's retry is never executed either: 409 while the dead attempt's lease runs, 502 after.
      const retry = await send(post({ key: '"order-kill"' }))
      expect([409, 502]).toContain(retry.status)
      expect(Object.values(await executions())).toEqual([1])
      expect(await received()).toHaveLength(1)
    } finally {
      child.kill('SIGKILL')
      backend = await startBackend(h.config, log, 'demo')
    }
    // Two connector processes start here: generous on two shared cores.
  }, 120_000)
})

/**
 * `backend/main.ts --host demo` in one Node process (`node --import tsx`, so SIGKILL reaches
 * the connector itself, not a launcher); resolves once it serves.
 */
async function startBackendProcess(): Promise<ChildProcess> {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', 'backend/main.ts', '--host', 'demo', '--config', h.configFile],
    {
      cwd: REPO_ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  )
  let out = ''
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`backend did not start: ${out}`)), 30_000)
    const read = (chunk: Buffer) => {
      out += chunk.toString()
      if (out.includes(READY_LINE)) {
        clearTimeout(timer)
        resolve()
      }
    }
    child.stdout!.on('data', read)
    child.stderr!.on('data', read)
    child.once('exit', (code) => reject(new Error(`backend exited ${code}: ${out}`)))
  })
  return child
}
