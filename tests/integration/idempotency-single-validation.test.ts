/**
 * A client's `Idempotency-Key` in the `single-validation` topology: the validating connector
 * keeps its replay records in the `IDEM` stream on dreq (`dreq`), the bus it reads.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { jetstreamManager } from '@nats-io/jetstream'
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
import { startValidatingBackend } from '../../backend/validating-start.js'
import { startDemo, type DemoServer, type ReceivedRequest } from '../../demo/server.js'
import { IDEMPOTENCY_STREAM } from '../../topology/description/idempotency.js'
import { ADMIN } from '../../topology/index.js'
import { connectLinkWebsocket, startBuses, type BusHarness } from '../harness/buses.js'
import { accessTokenFor } from '../harness/tokens.js'

const log = createLogger((process.env.PORTCULLIS_TEST_LOG as 'debug' | undefined) ?? 'error')

let h: BusHarness
let demo: DemoServer
let stages: Running[] = []
let edge: NatsConnection
let actor: string

function post(key: string, quantity = 2): RequestEnvelope {
  return {
    requestId: newRequestId(),
    deadline: Date.now() + 20_000,
    method: 'POST',
    host: 'demo',
    port: 443,
    path: '/orders',
    query: '',
    headers: [
      ['content-type', 'application/json'],
      ['idempotency-key', key],
    ],
    actor,
    body: new TextEncoder().encode(JSON.stringify({ item: 'tea', quantity })),
  }
}

async function send(env: RequestEnvelope): Promise<ResponseEnvelope> {
  const wire = encodeRequest(env)
  const reply = await edge.request(subjects.linkRequest('local'), wire.data, {
    headers: wire.headers,
    timeout: 15_000,
  })
  return decodeResponse(reply.headers, reply.data)
}

async function received(): Promise<ReceivedRequest[]> {
  const res = await fetch(`${demo.url}/_demo/received`)
  return ((await res.json()) as { requests: ReceivedRequest[] }).requests
}

beforeAll(async () => {
  h = await startBuses({ topology: 'single-validation' })
  demo = await startDemo(h.config, log)
  actor = await accessTokenFor(h.keysDir, ['orders'])
  stages = await Promise.all([
    startRelay(h.config, log),
    startValidatingBackend(h.config, log, 'demo'),
  ])
  edge = await connectLinkWebsocket(h, 'edge-local')
  // The buses and the stages start on two shared cores: generous.
}, 180_000)

afterAll(async () => {
  await edge?.close()
  await Promise.allSettled(stages.map((s) => s.stop()))
  await demo?.stop()
  await h?.stop()
})

describe("a client's Idempotency-Key, single-validation", () => {
  it('IDEM-008 the validating connector replays the first answer from its records on dreq, and refuses the key reused for another body', async () => {
    const first = await send(post('"sv-1"'))
    expect(first.status).toBe(201)
    const again = await send(post('"sv-1"'))
    expect(again.status).toBe(201)
    expect(again.headers).toContainEqual(['idempotent-replayed', 'true'])
    expect(new TextDecoder().decode(again.body)).toBe(new TextDecoder().decode(first.body))
    expect(await send(post('"sv-1"', 3))).toMatchObject({
      status: 422,
      error: 'IDEMPOTENCY_KEY_REUSED',
    })
    expect(await received()).toHaveLength(1)
    const jsm = await jetstreamManager(await h.connect(ADMIN, 'dreq'))
    expect((await jsm.streams.info(IDEMPOTENCY_STREAM)).state.messages).toBe(1)
  })
})
