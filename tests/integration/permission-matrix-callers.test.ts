/**
 * Certified callers at work: the relay, both validators, a backend connector and the demo
 * upstream on real buses, with two edges and two upstream hosts. Whoever a message's
 * envelope or headers claim to be, each stage acts for the identity its subject names (the
 * segment the broker pins through publish rights), and a claim that contradicts the subject
 * is never answered. The permission matrix proves the pinning; this proves the receivers
 * rely on it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { jetstream } from '@nats-io/jetstream'
import type { Msg, NatsConnection, Subscription } from '@nats-io/nats-core'
import {
  decodeResponse,
  encodeRequest,
  encodeResponse,
  errorResponse,
  GatewayError,
  newRequestId,
  subjects,
  type RequestEnvelope,
  type WireMessage,
} from '../../core/index.js'
import { backendIdentity } from '../../topology/index.js'
import { createLogger, type Running } from '../../runtime/index.js'
import { startRelay } from '../../bridge/relay/index.js'
import { startRequestValidator } from '../../validators/request/index.js'
import { startResponseValidator } from '../../validators/response/index.js'
import { startBackend } from '../../backend/index.js'
import { startDemo, type DemoServer } from '../../demo/server.js'
import { connectLinkWebsocket, startBuses, type BusHarness } from '../harness/buses.js'

const log = createLogger((process.env.PORTCULLIS_TEST_LOG as 'debug' | undefined) ?? 'error')
/** How long a message that should have been dropped is given to show up anyway. */
const QUIET_MS = 1_000

let h: BusHarness
let demo: DemoServer
let stages: Running[] = []
const edges: NatsConnection[] = []
/** Everything that reaches edge `local`'s inbox, by reply subject. */
const localInbox = new Map<string, Msg>()
let spy: Subscription

function request(overrides: Partial<RequestEnvelope> = {}): RequestEnvelope {
  return {
    requestId: newRequestId(),
    deadline: Date.now() + 10_000,
    method: 'GET',
    host: 'demo',
    port: 443,
    path: '/orders',
    query: '',
    headers: [],
    body: new Uint8Array(),
    ...overrides,
  }
}

const inboxOfLocal = (name: string) => `${subjects.linkInbox('local')}.${name}`

/** Publishes `wire` into a stream as `identity` would, acknowledged by JetStream. */
async function publishAs(
  identity: string,
  bus: 'dreq' | 'dresp',
  subject: string,
  wire: WireMessage,
) {
  const js = jetstream(await h.connect(identity, bus))
  await js.publish(subject, wire.data, { headers: wire.headers })
}

async function answerAt(reply: string, timeoutMs = 8_000): Promise<Msg | undefined> {
  const until = Date.now() + timeoutMs
  while (Date.now() < until) {
    const msg = localInbox.get(reply)
    if (msg) return msg
    await new Promise((r) => setTimeout(r, 25))
  }
  return undefined
}

beforeAll(async () => {
  h = await startBuses({
    edge: { peers: ['peer'] },
    upstreams: { other: { baseUrl: 'http://127.0.0.1:9', openapi: 'demo/openapi.json' } },
  })
  demo = await startDemo(h.config, log)
  stages = await Promise.all([
    startRelay(h.config, log),
    startRequestValidator(h.config, log),
    startBackend(h.config, log, 'demo'),
    startResponseValidator(h.config, log),
  ])
  for (const id of ['edge-local', 'edge-peer']) edges.push(await connectLinkWebsocket(h, id))
  spy = edges[0]!.subscribe(`${subjects.linkInbox('local')}.>`, {
    callback: (_, msg) => void localInbox.set(msg.subject, msg),
  })
  await edges[0]!.flush()
}, 60_000)

afterAll(async () => {
  spy?.unsubscribe()
  await Promise.allSettled(edges.map((nc) => nc.close()))
  await Promise.allSettled(stages.map((s) => s.stop()))
  await demo?.stop()
  await h?.stop()
}, 30_000)

describe('certified callers', () => {
  it('BUS-222 an edge claiming another edge in its envelope is filed and answered as the edge its link subject names', async () => {
    const peer = edges[1]!
    const claimed = request({ edgeId: 'local', replyTo: inboxOfLocal('claimed') })
    const wire = encodeRequest(claimed)
    wire.headers.set('Portcullis-Caller', 'edge-local')
    const reply = await peer.request(subjects.linkRequest('peer'), wire.data, {
      headers: wire.headers,
      timeout: 8_000,
    })
    const answer = decodeResponse(reply.headers, reply.data)
    expect(answer).toMatchObject({ status: 200, request: { edgeId: 'peer' } })
    expect(answer.request.replyTo?.startsWith(`${subjects.linkInbox('peer')}.`)).toBe(true)
    expect(localInbox.has(inboxOfLocal('claimed'))).toBe(false)
  })

  it('BUS-223 the request validator never answers a dirty request whose envelope names another edge than its subject', async () => {
    const forged = request({ edgeId: 'local', replyTo: inboxOfLocal('forgedEdge') })
    await publishAs('relay', 'dreq', subjects.dirtyRequest('peer', 'demo'), encodeRequest(forged))
    // Control: the same request filed under the edge it names is answered.
    const filed = request({ edgeId: 'local', replyTo: inboxOfLocal('filedEdge') })
    await publishAs('relay', 'dreq', subjects.dirtyRequest('local', 'demo'), encodeRequest(filed))
    const answer = await answerAt(inboxOfLocal('filedEdge'))
    expect(answer && decodeResponse(answer.headers, answer.data).status).toBe(200)
    await new Promise((r) => setTimeout(r, QUIET_MS))
    expect(localInbox.has(inboxOfLocal('forgedEdge'))).toBe(false)
  })

  it("BUS-224 the response validator never answers a response published by another host's connector", async () => {
    const respond = (reply: string) =>
      encodeResponse(
        errorResponse(
          { ...request({ edgeId: 'local', replyTo: reply }), operation: 'listOrders' },
          new GatewayError('UPSTREAM_TIMEOUT'),
        ),
      )
    const other = backendIdentity('other')
    const forged = respond(inboxOfLocal('forgedHost'))
    forged.headers.set('Portcullis-Caller', backendIdentity('demo'))
    await publishAs(other, 'dresp', subjects.dirtyResponse('other'), forged)
    // Control: the same answer from the connector of the host it names reaches the edge.
    await publishAs(
      backendIdentity('demo'),
      'dresp',
      subjects.dirtyResponse('demo'),
      respond(inboxOfLocal('filedHost')),
    )
    const answer = await answerAt(inboxOfLocal('filedHost'))
    expect(answer && decodeResponse(answer.headers, answer.data).error).toBe('UPSTREAM_TIMEOUT')
    await new Promise((r) => setTimeout(r, QUIET_MS))
    expect(localInbox.has(inboxOfLocal('forgedHost'))).toBe(false)
  })
})
