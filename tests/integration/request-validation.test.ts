/**
 * The request validator's attack table (validators/request/security.cases.ts), every case,
 * through real nats-servers: published to dreq as the relay publishes, checked by the
 * real request validator, with the backend connector, the response validator, the relay
 * and the demo upstream running. Each refusal reaches the edge's inbox with its code and
 * status; the CREQ stream (creq) gets no message and the demo records nothing. The
 * legitimate look-alikes reach the upstream.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { jetstream, jetstreamManager, type JetStreamClient } from '@nats-io/jetstream'
import type { NatsConnection } from '@nats-io/nats-core'
import { ADMIN } from '../../topology/index.js'
import {
  decodeResponse,
  encodeRequest,
  ISSUERS,
  newRequestId,
  subjects,
  type ResponseEnvelope,
} from '../../core/index.js'
import { sign, testKey } from '../../core/tokens/testing.js'
import { createLogger, type Running } from '../../runtime/index.js'
import { startRelay } from '../../bridge/relay/index.js'
import { startRequestValidator } from '../../validators/request/index.js'
import { startResponseValidator } from '../../validators/response/index.js'
import { startBackend } from '../../backend/index.js'
import { startDemo, type DemoServer, type ReceivedRequest } from '../../demo/server.js'
import {
  caseEnvelope,
  LEGITIMATE_CASES,
  REQUEST_CASES,
  type ActorMinter,
  type CaseRequest,
} from '../../validators/request/security.cases.js'
import { jwkPath, signingKeysSecretOf } from '../../cli/jwk-keys.js'
import { mintAccessToken } from '../../token-services/access/mint.js'
import { epochSeconds, loadSigningKeys } from '../../token-services/shared/index.js'
import { connectLinkWebsocket, startBuses, type BusHarness } from '../harness/buses.js'
import { accessTokenFor, bearerTokenFor } from '../harness/tokens.js'

const log = createLogger((process.env.PORTCULLIS_TEST_LOG as 'debug' | undefined) ?? 'error')
const INBOX = `${subjects.linkInbox('local')}.rv`

let h: BusHarness
let demo: DemoServer
let stages: Running[] = []
let edge: NatsConnection
let dreq: JetStreamClient
let creqSequence: () => Promise<number>
let actors: ActorMinter
const waiting = new Map<string, (answer: ResponseEnvelope) => void>()

beforeAll(async () => {
  h = await startBuses()
  demo = await startDemo(h.config, log)
  stages = await Promise.all([
    startRelay(h.config, log),
    startRequestValidator(h.config, log),
    startBackend(h.config, log, 'demo'),
    startResponseValidator(h.config, log),
  ])
  edge = await connectLinkWebsocket(h, 'edge-local')
  edge.subscribe(`${INBOX}.>`, {
    callback: (_e, m) => {
      const answer = decodeResponse(m.headers, m.data)
      waiting.get(answer.request.requestId)?.(answer)
    },
  })
  await edge.flush()
  dreq = jetstream(await h.connect('relay', 'dreq'))
  const creq = await jetstreamManager(await h.connect(ADMIN, 'creq'))
  creqSequence = async () => (await creq.streams.info('CREQ')).state.last_seq

  const keys = await loadSigningKeys(
    `key file ${jwkPath(h.keysDir, 'access')}`,
    signingKeysSecretOf(h.keysDir, 'access'),
  )
  const stranger = await testKey('EdDSA', 'stranger-1')
  const now = () => epochSeconds(Date.now())
  actors = {
    access: (roles) => accessTokenFor(h.keysDir, roles),
    expired: async (roles) =>
      (
        await mintAccessToken(
          keys,
          {
            sub: 'alice',
            aud: 'portcullis:demo',
            idp: 'bearer',
            claims: { roles },
            ttlSeconds: 60,
          },
          now() - 3600,
        )
      ).token,
    unknownKey: (roles) =>
      sign(stranger, {
        iss: ISSUERS.access,
        aud: 'portcullis:demo',
        sub: 'alice',
        idp: 'bearer',
        iat: now(),
        exp: now() + 60,
        jti: 'j1',
        roles,
      }),
    bearer: (roles) => bearerTokenFor(h.keysDir, roles),
  }
})

afterAll(async () => {
  await edge?.close()
  await Promise.allSettled(stages.map((s) => s.stop()))
  await demo?.stop()
  await h?.stop()
})

async function received(): Promise<ReceivedRequest[]> {
  const res = await fetch(`${demo.url}/_demo/received`)
  return ((await res.json()) as { requests: ReceivedRequest[] }).requests
}

/** Publishes a case to dreq as the relay would, and waits for the answer at the edge inbox. */
async function send(c: CaseRequest, actor?: string): Promise<ResponseEnvelope> {
  const requestId = newRequestId()
  const env = {
    ...(await caseEnvelope(c, actors, requestId, Date.now() + 10_000)),
    edgeId: 'local',
    replyTo: `${INBOX}.${requestId}`,
    ...(actor === undefined ? {} : { actor }),
  }
  const answer = new Promise<ResponseEnvelope>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no answer for ${requestId}`)), 8_000)
    waiting.set(requestId, (a) => {
      clearTimeout(timer)
      waiting.delete(requestId)
      resolve(a)
    })
  })
  const wire = encodeRequest(env)
  await dreq.publish(subjects.dirtyRequest('local', 'demo'), wire.data, {
    headers: wire.headers,
    msgID: requestId,
  })
  return answer
}

describe('the request validator on real buses', () => {
  it.each(REQUEST_CASES)('%s', async (_name, c, code, status) => {
    const before = { creq: await creqSequence(), upstream: (await received()).length }
    const answer = await send(c)
    expect({ code: answer.error, status: answer.status }).toEqual({ code, status })
    expect(answer.body.length).toBe(0)
    expect(await creqSequence()).toBe(before.creq)
    expect((await received()).length).toBe(before.upstream)
  })

  it.each(LEGITIMATE_CASES)('a legitimate request reaches the upstream: %s', async (_name, c) => {
    const before = await creqSequence()
    const answer = await send(c)
    expect(answer.error).toBeUndefined()
    expect([200, 201, 404]).toContain(answer.status)
    expect(await creqSequence()).toBe(before + 1)
    const seen = (await received()).at(-1)!
    expect(seen).toMatchObject({ method: c.method, path: c.path, query: c.query ?? '' })
    if (typeof c.body === 'string') expect(seen.body).toBe(c.body)
  })
})

describe('access tokens name their upstream host, on real buses', () => {
  const list: CaseRequest = { method: 'GET', path: '/orders', headers: [] }

  it('AUTH-308 an access token minted for host billing presented on host demo is refused TOKEN_AUDIENCE_INVALID; nothing reaches creq or the upstream', async () => {
    const before = { creq: await creqSequence(), upstream: (await received()).length }
    const replayed = await accessTokenFor(h.keysDir, ['orders'], 'alice', 'billing')
    const answer = await send(list, replayed)
    expect({ code: answer.error, status: answer.status }).toEqual({
      code: 'TOKEN_AUDIENCE_INVALID',
      status: 401,
    })
    expect(await creqSequence()).toBe(before.creq)
    expect((await received()).length).toBe(before.upstream)
    // The same request with the token minted for demo reaches the upstream.
    const own = await send(list, await accessTokenFor(h.keysDir, ['orders'], 'alice', 'demo'))
    expect(own.error).toBeUndefined()
    expect(await creqSequence()).toBe(before.creq + 1)
  })
})
