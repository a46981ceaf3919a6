import { describe, expect, it } from 'vitest'
import {
  DEFAULT_REQUEST_VALIDATION,
  decodeResponse,
  encodeRequest,
  ISSUERS,
  subjects,
  type RequestEnvelope,
} from '../../core/index.js'
import { jwksOf, sign, testKey, TestClock, type TestKey } from '../../core/tokens/testing.js'
import { compileRequestHosts } from '../lib/index.js'
import { accessTokenVerifier } from '../lib/index.js'
import { createRequestValidator, type RequestVerdict } from './handler.js'
import { demo } from '../testing/demo.js'

// The demo's real routes: POST /orders needs `roles.orders || roles.admin`, GET /admin/stats
// `roles.admin`, GET /orders nothing.
const hosts = compileRequestHosts({ demo }, DEFAULT_REQUEST_VALIDATION)
const clock = new TestClock()
const text = (s: string) => new TextEncoder().encode(s)

const access = await testKey('EdDSA', 'access-1')
const bearerKey = await testKey('EdDSA', 'bearer-1')
const validate = createRequestValidator({
  deployment: 'LAB',
  hosts,
  maxBodyBytes: 1_000_000,
  accessTokens: accessTokenVerifier(jwksOf(access), clock.now),
})

function actorToken(
  claims: Record<string, unknown>,
  key: TestKey = access,
  iss: string = ISSUERS.access,
  header: Record<string, unknown> = {},
) {
  return sign(
    key,
    {
      iss,
      aud: 'portcullis:demo',
      sub: 'alice',
      idp: 'bearer',
      iat: clock.seconds,
      exp: clock.seconds + 60,
      jti: 'j1',
      ...claims,
    },
    header,
  )
}

function request(overrides: Partial<RequestEnvelope> = {}): RequestEnvelope {
  return {
    requestId: 'req0000000001',
    deadline: clock.now() + 10_000,
    method: 'POST',
    host: 'demo',
    port: 443,
    path: '/orders',
    query: '',
    edgeId: 'local',
    replyTo: 'pc.link.inbox.local.abc1',
    headers: [['content-type', 'application/json']],
    body: text('{"item":"tea","quantity":2}'),
    ...overrides,
  }
}

async function verdictFor(env: RequestEnvelope): Promise<RequestVerdict> {
  const wire = encodeRequest(env)
  const subject = subjects.dirtyRequest(env.edgeId!, env.host)
  return validate({ subject, headers: wire.headers, data: wire.data }, clock.now())
}

async function codeOf(env: RequestEnvelope): Promise<string | undefined> {
  const verdict = await verdictFor(env)
  if (verdict.kind === 'forward') return undefined
  if (verdict.kind !== 'reject') throw new Error(`unexpected ${verdict.kind}`)
  return decodeResponse(verdict.wire.headers, verdict.wire.data).error
}

describe('request validator: the actor and required claims', () => {
  it('AUTH-151 an access token with the required claims passes; the actor travels on unchanged', async () => {
    const actor = await actorToken({ roles: ['orders'] })
    const verdict = await verdictFor(request({ actor }))
    expect(verdict).toMatchObject({ kind: 'forward', operation: 'createOrder' })
    if (verdict.kind === 'forward') expect(verdict.wire.headers.get('Portcullis-Actor')).toBe(actor)
    const admin = await actorToken({ roles: ['admin'] })
    const stats = request({
      method: 'GET',
      path: '/admin/stats',
      headers: [],
      body: new Uint8Array(),
    })
    expect(await codeOf({ ...stats, actor: admin })).toBeUndefined()
  })

  it('AUTH-152 no actor on a route with required claims is TOKEN_MISSING, a public route passes without one', async () => {
    const verdict = await verdictFor(request())
    expect(verdict.kind).toBe('reject')
    if (verdict.kind !== 'reject') return
    const env = decodeResponse(verdict.wire.headers, verdict.wire.data)
    expect(env).toMatchObject({ status: 401, error: 'TOKEN_MISSING' })
    expect(verdict.subject).toBe(subjects.cleanResponse('request-validator', 'demo'))
    const list = request({ method: 'GET', headers: [], body: new Uint8Array() })
    expect(await codeOf(list)).toBeUndefined()
  })

  it('AUTH-153 claims that do not satisfy the route are CLAIMS_NOT_MET', async () => {
    expect(await codeOf(request({ actor: await actorToken({ roles: ['reader'] }) }))).toBe(
      'CLAIMS_NOT_MET',
    )
    const stats = request({
      method: 'GET',
      path: '/admin/stats',
      headers: [],
      body: new Uint8Array(),
    })
    const orders = await actorToken({ roles: ['orders'] })
    expect(await codeOf({ ...stats, actor: orders })).toBe('CLAIMS_NOT_MET')
  })

  it('AUTH-154 a bearer token, a token of an unknown or another key, an expired token and garbage are refused as actors, on public routes too', async () => {
    const bearer = await actorToken({ roles: ['admin'] }, bearerKey, ISSUERS.bearer)
    expect(await codeOf(request({ actor: bearer }))).toBe('TOKEN_ISSUER_NOT_TRUSTED')
    const unknown = await actorToken({ roles: ['admin'] }, bearerKey)
    expect(await codeOf(request({ actor: unknown }))).toBe('TOKEN_KEY_UNKNOWN')
    const forged = await actorToken({ roles: ['admin'] }, bearerKey, ISSUERS.access, {
      kid: access.kid,
    })
    expect(await codeOf(request({ actor: forged }))).toBe('TOKEN_INVALID_SIGNATURE')
    const expired = await actorToken({
      roles: ['admin'],
      iat: clock.seconds - 600,
      exp: clock.seconds - 300,
    })
    expect(await codeOf(request({ actor: expired }))).toBe('TOKEN_EXPIRED')
    const list = request({ method: 'GET', headers: [], body: new Uint8Array() })
    expect(await codeOf({ ...list, actor: 'not-a-token' })).toBe('TOKEN_MALFORMED')
  })

  it('AUTH-155 without access keys a request with an actor or required claims is refused', async () => {
    const open = createRequestValidator({ deployment: 'LAB', hosts, maxBodyBytes: 1_000_000 })
    const env = request({ actor: await actorToken({ roles: ['orders'] }) })
    const wire = encodeRequest(env)
    const verdict = await open(
      { subject: subjects.dirtyRequest('local', 'demo'), headers: wire.headers, data: wire.data },
      clock.now(),
    )
    expect(verdict).toMatchObject({ kind: 'reject', code: 'INTERNAL_ERROR' })
  })
})
