import { decodeJwt } from 'jose'
import { describe, expect, it } from 'vitest'
import {
  createTokenVerifier,
  ISSUERS,
  PROBLEM_CONTENT_TYPE,
  type RequestEnvelope,
} from '../../core/index.js'
import { sign, testKey } from '../../core/tokens/testing.js'
import {
  bearerService,
  bearerToken,
  configuredPolicy,
  recordingLink,
  tokenServices,
} from '../testing/index.js'
import { createIngress, type TokenServices } from './index.js'

// The ingress with the real token workers behind its service bindings (auxiliary workers
// of the pool) and the repository's policy: POST /demo/orders needs `roles.orders ||
// roles.admin`, GET /demo/admin/stats `roles.admin`, GET /demo/orders nothing.
const EDGE = 'https://edge.test'

function setup(opts: { now?: () => number; tokens?: TokenServices } = {}) {
  const link = recordingLink()
  const app = createIngress({
    policy: configuredPolicy(),
    link,
    tokens: opts.tokens ?? tokenServices(),
    now: opts.now ?? Date.now,
  })
  const send = (path: string, init?: RequestInit) => app.fetch(new Request(EDGE + path, init))
  return { app, link, send }
}

const order = (token?: string): RequestInit => ({
  method: 'POST',
  headers: {
    'content-type': 'application/json',
    ...(token === undefined ? {} : { authorization: `Bearer ${token}` }),
  },
  body: '{"item":"tea","quantity":1}',
})

const bearerHeader = (token: string): RequestInit => ({
  headers: { authorization: `Bearer ${token}` },
})

async function expectRefused(res: Response, status: number, code: string) {
  expect(res.status).toBe(status)
  expect(res.headers.get('content-type')).toBe(PROBLEM_CONTENT_TYPE)
  const body = (await res.json()) as Record<string, unknown>
  expect(body.code).toBe(code)
  return body
}

/** Counts what the ingress asks of the real access service. */
function countingServices() {
  const real = tokenServices()
  const counts = { mint: 0 }
  const tokens: TokenServices = {
    bearer: real.bearer,
    access: {
      mint: (request) => {
        counts.mint++
        return real.access.mint(request)
      },
      jwks: () => real.access.jwks(),
    },
  }
  return { tokens, counts }
}

async function accessVerifier(app: ReturnType<typeof setup>['app']) {
  const res = await app.fetch(new Request(`${EDGE}/.well-known/jwks.json`))
  expect(res.status).toBe(200)
  const jwks = await res.json()
  return createTokenVerifier({
    now: Date.now,
    kinds: [
      {
        kind: 'access',
        issuer: ISSUERS.access,
        audience: 'portcullis:demo',
        algorithms: ['EdDSA'],
        keys: { jwks },
      },
    ],
  })
}

describe('ingress: bearer tokens and required claims', () => {
  it('AUTH-101 a route with required claims and no token is 401 TOKEN_MISSING with WWW-Authenticate: Bearer', async () => {
    const { send, link } = setup()
    const res = await send('/demo/orders', order())
    await expectRefused(res, 401, 'TOKEN_MISSING')
    expect(res.headers.get('www-authenticate')).toBe('Bearer')
    const other = await send('/demo/orders', {
      ...order(),
      headers: { 'content-type': 'application/json', authorization: 'Basic YWxpY2U6cHc=' },
    })
    await expectRefused(other, 401, 'TOKEN_MISSING')
    expect(link.sent).toHaveLength(0)
  })

  it('AUTH-102 a bad token is 401 with its precise code on a public route too; a public route without a bearer token passes', async () => {
    const { send, link } = setup()
    const malformed = await send('/demo/orders', bearerHeader('not-a-jwt'))
    await expectRefused(malformed, 401, 'TOKEN_MALFORMED')
    expect(malformed.headers.get('www-authenticate')).toBe('Bearer error="invalid_token"')

    const foreign = await testKey('EdDSA', 'foreign-1')
    const now = Math.floor(Date.now() / 1000)
    const forged = await sign(foreign, {
      iss: ISSUERS.bearer,
      aud: 'portcullis',
      sub: 'mallory',
      iat: now,
      exp: now + 600,
      jti: 'forged-1',
      roles: ['admin'],
    })
    await expectRefused(await send('/demo/orders', bearerHeader(forged)), 401, 'TOKEN_KEY_UNKNOWN')

    const lookalike = await sign(foreign, {
      iss: `${ISSUERS.bearer} `,
      aud: 'portcullis',
      sub: 'mallory',
      iat: now,
      exp: now + 600,
      jti: 'forged-2',
    })
    await expectRefused(
      await send('/demo/orders', bearerHeader(lookalike)),
      401,
      'TOKEN_ISSUER_NOT_TRUSTED',
    )
    expect(link.sent).toHaveLength(0)

    const open = await send('/demo/orders')
    expect(open.status).toBe(200)
    // Another scheme is no bearer token: a public route passes, without the header.
    const basic = await send('/demo/orders', { headers: { authorization: 'Basic YWxpY2U6cHc=' } })
    expect(basic.status).toBe(200)
    expect(link.sent).toHaveLength(2)
    for (const { request } of link.sent) {
      expect(request.actor).toBeUndefined()
      expect(request.headers.map(([n]) => n)).not.toContain('authorization')
    }
  })

  it('AUTH-103 a valid bearer token is exchanged: the envelope carries an access token of the access service and never the bearer token', async () => {
    const { app, send, link } = setup()
    const bearer = await bearerToken(['orders'], 'alice')
    const res = await send('/demo/orders', order(bearer))
    expect(res.status).toBe(200)
    expect(link.sent).toHaveLength(1)
    const envelope: RequestEnvelope = link.sent[0]!.request
    const verified = await (await accessVerifier(app)).verify(envelope.actor, 'access')
    expect(verified.claims).toMatchObject({
      iss: ISSUERS.access,
      aud: 'portcullis:demo',
      sub: 'alice',
      idp: 'bearer',
      roles: ['orders'],
    })
    const carried = JSON.stringify({
      ...envelope,
      body: new TextDecoder().decode(envelope.body),
    })
    expect(carried).not.toContain(bearer)
    expect(carried).not.toContain(bearer.split('.')[2]!)
    expect(envelope.headers.map(([n]) => n)).not.toContain('authorization')
  })

  it('AUTH-104 claims that do not satisfy the route are 403 CLAIMS_NOT_MET; an admin passes both protected routes', async () => {
    const { send, link } = setup()
    const reader = await bearerToken(['reader'], 'bob')
    await expectRefused(await send('/demo/orders', order(reader)), 403, 'CLAIMS_NOT_MET')
    await expectRefused(
      await send('/demo/admin/stats', bearerHeader(reader)),
      403,
      'CLAIMS_NOT_MET',
    )
    const orders = await bearerToken(['orders'], 'carol')
    await expectRefused(
      await send('/demo/admin/stats', bearerHeader(orders)),
      403,
      'CLAIMS_NOT_MET',
    )
    expect(link.sent).toHaveLength(0)

    const admin = await bearerToken(['admin'], 'dave')
    expect((await send('/demo/orders', order(admin))).status).toBe(200)
    expect((await send('/demo/admin/stats', bearerHeader(admin))).status).toBe(200)
    expect(link.sent).toHaveLength(2)
  })

  it('AUTH-105 a revoked bearer token is 401 TOKEN_REVOKED, also after an access token was cached for it', async () => {
    const { send, link } = setup()
    const { token, expiresAt } = await bearerService().mint({ sub: 'erin', roles: ['orders'] })
    expect((await send('/demo/orders', order(token))).status).toBe(200)
    await bearerService().revoke(String(decodeJwt(token).jti), expiresAt)
    await expectRefused(await send('/demo/orders', order(token)), 401, 'TOKEN_REVOKED')
    await expectRefused(await send('/demo/orders', bearerHeader(token)), 401, 'TOKEN_REVOKED')
    expect(link.sent).toHaveLength(1)
  })

  it('AUTH-106 access tokens are reused per bearer token until shortly before they expire, never across bearer tokens', async () => {
    let offsetMs = 0
    const { tokens, counts } = countingServices()
    const { send, link } = setup({ tokens, now: () => Date.now() + offsetMs })
    const first = await bearerToken(['orders'], 'frank')
    const second = await bearerToken(['orders'], 'frank')
    expect((await send('/demo/orders', order(first))).status).toBe(200)
    expect((await send('/demo/orders', order(first))).status).toBe(200)
    expect(counts.mint).toBe(1)
    expect(link.sent[0]!.request.actor).toBe(link.sent[1]!.request.actor)

    expect((await send('/demo/orders', order(second))).status).toBe(200)
    expect(counts.mint).toBe(2)
    expect(link.sent[2]!.request.actor).not.toBe(link.sent[0]!.request.actor)

    // 55 s later the cached token (60 s lifetime) is too close to its end: a new one.
    offsetMs = 55_000
    expect((await send('/demo/orders', order(first))).status).toBe(200)
    expect(counts.mint).toBe(3)
  })

  it('AUTH-107 an access token presented as a bearer token is refused', async () => {
    const { send } = setup()
    const { token } = await tokenServices().access.mint({
      sub: 'alice',
      aud: 'portcullis:demo',
      idp: 'bearer',
      claims: { roles: ['admin'] },
    })
    await expectRefused(await send('/demo/orders', order(token)), 401, 'TOKEN_ISSUER_NOT_TRUSTED')
  })

  it('AUTH-108 /.well-known/jwks.json serves the access public keys only, without a bearer token', async () => {
    const { app, link } = setup()
    const res = await app.fetch(new Request(`${EDGE}/.well-known/jwks.json`))
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toBe('application/json')
    const { keys } = (await res.json()) as { keys: Array<Record<string, unknown>> }
    expect(keys.length).toBeGreaterThan(0)
    for (const key of keys) {
      expect(key).toMatchObject({ kty: 'OKP', crv: 'Ed25519' })
      expect(key.d).toBeUndefined()
    }
    expect(link.sent).toHaveLength(0)
  })
})
