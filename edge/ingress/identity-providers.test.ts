import { decodeJwt, SignJWT } from 'jose'
import { describe, expect, inject, it } from 'vitest'
import { PROBLEM_CONTENT_TYPE, type EdgePolicy } from '../../core/index.js'
import { sign, testKey, TestJwksServer, unsigned, type TestKey } from '../../core/tokens/testing.js'
import { bearerToken, configuredPolicy, recordingLink, tokenServices } from '../testing/index.js'
import { createIngress, type TokenServices } from './index.js'

// The ingress inside workerd with the real token workers behind its bindings and one
// external identity provider, `corp`, whose JWKS a stand-in serves through `fetchJwks`
// (counting fetches, able to go down). The provider's roles come from `groups` through an
// allow-list; `email` and `org.id` are copied; subjects get the prefix `corp:`.
const EDGE = 'https://edge.test'
const ISSUER = 'https://login.corp.test/realm'
const JWKS_URL = 'https://login.corp.test/realm/jwks'
const COOLDOWN = 30
const REFRESH = 120
const MAX_STALE = 600

function policy(): EdgePolicy {
  return {
    ...configuredPolicy(),
    tokens: {
      accessTtlSeconds: 60,
      clockSkewSeconds: 5,
      jwks: {
        cooldownSeconds: COOLDOWN,
        refreshSeconds: REFRESH,
        maxStaleSeconds: MAX_STALE,
        fetchTimeoutMs: 1000,
      },
    },
    identityProviders: {
      corp: {
        issuer: ISSUER,
        audience: 'portcullis-api',
        algorithms: ['RS256'],
        jwksUrl: JWKS_URL,
        roles: { claim: 'groups', map: { 'gw-orders': 'orders', 'gw-admins': 'admin' } },
        claims: { email: 'email', tenant: 'org.id' },
        exchangeTtlSeconds: 1800,
      },
    },
  }
}

/** A clock the test moves forward; starts at the real time so the token workers agree. */
function clock() {
  let offsetMs = 0
  return {
    now: () => Date.now() + offsetMs,
    advance: (seconds: number) => (offsetMs += seconds * 1000),
    seconds: () => Math.floor((Date.now() + offsetMs) / 1000),
  }
}

function countingServices() {
  const real = tokenServices()
  const counts = { accessMints: 0, bearerMints: 0 }
  const tokens: TokenServices = {
    access: {
      mint: (r) => (counts.accessMints++, real.access.mint(r)),
      jwks: () => real.access.jwks(),
    },
    bearer: {
      mint: (r) => (counts.bearerMints++, real.bearer.mint(r)),
      jwks: () => real.bearer.jwks(),
      revoke: (jti, expiresAt) => real.bearer.revoke(jti, expiresAt),
      isRevoked: (jti) => real.bearer.isRevoked(jti),
    },
  }
  return { tokens, counts }
}

async function setup(opts: { keys?: TestKey[] } = {}) {
  const key = await testKey('RS256', 'corp-1')
  const idp = new TestJwksServer({ keys: (opts.keys ?? [key]).map((k) => k.jwk) })
  const time = clock()
  const link = recordingLink()
  const { tokens, counts } = countingServices()
  const app = createIngress({
    policy: policy(),
    link,
    tokens,
    now: time.now,
    fetchJwks: idp.fetchJwks as (url: string) => Promise<string>,
  })
  const send = (path: string, init?: RequestInit) => app.fetch(new Request(EDGE + path, init))
  const claims = (extra: Record<string, unknown> = {}) => ({
    iss: ISSUER,
    aud: 'portcullis-api',
    sub: 'alice',
    iat: time.seconds(),
    exp: time.seconds() + 300,
    groups: ['gw-orders'],
    email: 'alice@corp.test',
    org: { id: 'acme' },
    ...extra,
  })
  const token = (extra?: Record<string, unknown>, k: TestKey = key, header = {}) =>
    sign(k, claims(extra), header)
  return { app, key, idp, time, link, counts, send, token, claims }
}

const order = (token: string): RequestInit => ({
  method: 'POST',
  headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
  body: '{"item":"tea","quantity":1}',
})
const bearer = (token: string): RequestInit => ({ headers: { authorization: `Bearer ${token}` } })

async function refused(res: Response, status: number, code: string) {
  expect(res.status).toBe(status)
  expect(res.headers.get('content-type')).toBe(PROBLEM_CONTENT_TYPE)
  const body = (await res.json()) as Record<string, unknown>
  expect(body.code).toBe(code)
  return body
}

describe('external identity provider tokens in Authorization', () => {
  it('IDP-001 a provider token reaches the upstream only as an access token with the mapped identity', async () => {
    const { send, token, link } = await setup()
    const res = await send('/demo/orders', order(await token()))
    expect(res.status).toBe(200)
    const sent = link.sent[0]!.request
    expect(JSON.stringify(sent)).not.toContain('login.corp.test')
    const actor = decodeJwt(sent.actor!)
    expect(actor).toMatchObject({
      iss: 'access.token.core',
      sub: 'corp:alice',
      idp: 'corp',
      roles: ['orders'],
      email: 'alice@corp.test',
      tenant: 'acme',
    })
    expect(actor).not.toHaveProperty('groups')
  })

  it('IDP-002 claims the provider token sets for itself (roles, idp, admin) are not carried or trusted', async () => {
    const { send, token, link } = await setup()
    const forged = await token({ roles: ['admin'], idp: 'bearer', admin: true, groups: [] })
    await refused(await send('/demo/admin/stats', bearer(forged)), 403, 'CLAIMS_NOT_MET')
    await refused(await send('/demo/orders', order(forged)), 403, 'CLAIMS_NOT_MET')
    expect(link.sent).toHaveLength(0)
  })

  it('IDP-003 provider group values outside the role map are dropped, not passed through', async () => {
    const { send, token } = await setup()
    const res = await send(
      '/demo/admin/stats',
      bearer(await token({ groups: ['admin', 'orders'] })),
    )
    await refused(res, 403, 'CLAIMS_NOT_MET')
  })

  it('IDP-004 a look-alike issuer is refused without a key fetch', async () => {
    const { send, token, idp, link } = await setup()
    for (const iss of [
      `${ISSUER}/`,
      ISSUER.toUpperCase(),
      `${ISSUER} `,
      'https://login.corp.test',
    ]) {
      const res = await send('/demo/orders', order(await token({ iss })))
      await refused(res, 401, 'TOKEN_ISSUER_NOT_TRUSTED')
    }
    expect(idp.calls).toHaveLength(0)
    expect(link.sent).toHaveLength(0)
  })

  it('IDP-005 a token for another audience, or without one, is refused', async () => {
    const { send, token } = await setup()
    await refused(
      await send('/demo/orders', order(await token({ aud: 'other-api' }))),
      401,
      'TOKEN_AUDIENCE_INVALID',
    )
    await refused(
      await send('/demo/orders', order(await token({ aud: undefined }))),
      401,
      'TOKEN_AUDIENCE_INVALID',
    )
  })

  it("IDP-006 an algorithm outside the provider's allow-list is refused even with a published key", async () => {
    const ec = await testKey('ES256', 'corp-ec')
    const { send, token, key } = await setup({ keys: [await testKey('RS256', 'corp-1'), ec] })
    void key
    await refused(
      await send('/demo/orders', order(await token({}, ec))),
      401,
      'TOKEN_ALGORITHM_NOT_ALLOWED',
    )
  })

  it("IDP-007 HS256 signed with the provider's published RSA key, and alg none, are refused", async () => {
    const { send, claims, key, link } = await setup()
    const secret = new TextEncoder().encode(JSON.stringify(key.jwk))
    const hs = await new SignJWT(claims())
      .setProtectedHeader({ alg: 'HS256', kid: key.kid, typ: 'JWT' })
      .sign(secret)
    await refused(await send('/demo/orders', order(hs)), 401, 'TOKEN_ALGORITHM_NOT_ALLOWED')
    const none = unsigned({ alg: 'none', kid: key.kid, typ: 'JWT' }, claims())
    await refused(await send('/demo/orders', order(none)), 401, 'TOKEN_ALGORITHM_NOT_ALLOWED')
    expect(link.sent).toHaveLength(0)
  })

  it('IDP-008 jku and x5u pointing at a server the test runs are refused, and it is never contacted', async () => {
    const { send, token, idp } = await setup()
    const attacker = await testKey('RS256', 'corp-1')
    const hits = async () =>
      ((await (await fetch(inject('trapHitsUrl'))).json()) as { hits: number }).hits
    const before = await hits()
    for (const member of ['jku', 'x5u']) {
      const forged = await token({}, attacker, { [member]: inject('trapUrl') })
      await refused(await send('/demo/orders', order(forged)), 401, 'TOKEN_MALFORMED')
    }
    expect(await hits()).toBe(before)
    expect(idp.calls.every((url) => url === JWKS_URL)).toBe(true)
  })

  it('IDP-009 a flood of unknown kids costs at most one JWKS fetch per cooldown', async () => {
    const { send, token, idp, time } = await setup()
    expect((await send('/demo/orders', order(await token()))).status).toBe(200)
    expect(idp.calls).toHaveLength(1)
    time.advance(COOLDOWN + 1)
    const forger = await testKey('RS256', 'x')
    const results = await Promise.all(
      Array.from({ length: 40 }, async (_, i) => {
        const forged = await token({}, { ...forger, kid: `unknown-${i}` })
        return (await send('/demo/orders', order(forged))).status
      }),
    )
    expect(results.every((s) => s === 401)).toBe(true)
    expect(idp.calls).toHaveLength(2)
  })

  it('IDP-010 key rotation: a new key is picked up after the cooldown, the old one works while published', async () => {
    const { send, token, idp, time, key } = await setup()
    expect((await send('/demo/orders', order(await token()))).status).toBe(200)
    const next = await testKey('RS256', 'corp-2')
    idp.jwks = { keys: [key.jwk, next.jwk] }
    time.advance(COOLDOWN + 1)
    expect((await send('/demo/orders', order(await token({}, next)))).status).toBe(200)
    expect((await send('/demo/orders', order(await token()))).status).toBe(200)
    // The old key is withdrawn: after the next refresh its tokens are refused.
    idp.jwks = { keys: [next.jwk] }
    time.advance(REFRESH + 1)
    await refused(await send('/demo/orders', order(await token())), 401, 'TOKEN_KEY_UNKNOWN')
    expect((await send('/demo/orders', order(await token({}, next)))).status).toBe(200)
  })

  it('IDP-011 the provider down: cached keys keep working until the stale limit, then fail closed', async () => {
    const { send, token, idp, time } = await setup()
    expect((await send('/demo/orders', order(await token()))).status).toBe(200)
    idp.down = true
    time.advance(REFRESH + 1)
    expect((await send('/demo/orders', order(await token()))).status).toBe(200)
    const unknown = await testKey('RS256', 'corp-9')
    await refused(
      await send('/demo/orders', order(await token({}, unknown))),
      401,
      'TOKEN_KEY_UNKNOWN',
    )
    time.advance(MAX_STALE)
    await refused(await send('/demo/orders', order(await token())), 401, 'TOKEN_KEY_UNKNOWN')
    expect(idp.calls.length).toBeGreaterThan(1)
  })

  it('IDP-012 an access token never outlives the provider token it was minted for', async () => {
    const { send, token, link, time } = await setup()
    const exp = time.seconds() + 20
    expect((await send('/demo/orders', order(await token({ exp })))).status).toBe(200)
    expect(decodeJwt(link.sent[0]!.request.actor!).exp).toBeLessThanOrEqual(exp)
  })

  it('IDP-013 an expired provider token is refused', async () => {
    const { send, token, time } = await setup()
    const past = time.seconds() - 3600
    const res = await send('/demo/orders', order(await token({ iat: past, exp: past + 60 })))
    await refused(res, 401, 'TOKEN_EXPIRED')
  })

  it('IDP-014 each presented token gets its own cached access token, even with a shared jti', async () => {
    const { send, token, link, counts } = await setup()
    const a = await token({ jti: 'same', groups: ['gw-orders'] })
    const b = await token({ jti: 'same', groups: ['gw-orders', 'gw-admins'] })
    expect((await send('/demo/orders', order(a))).status).toBe(200)
    expect((await send('/demo/orders', order(a))).status).toBe(200)
    expect((await send('/demo/orders', order(b))).status).toBe(200)
    expect(counts.accessMints).toBe(2)
    expect(decodeJwt(link.sent[0]!.request.actor!).roles).toEqual(['orders'])
    expect(decodeJwt(link.sent[2]!.request.actor!).roles).toEqual(['orders', 'admin'])
  })
})

const GRANT = 'urn:ietf:params:oauth:grant-type:token-exchange'
const JWT_TYPE = 'urn:ietf:params:oauth:token-type:jwt'

function form(fields: Record<string, string> | string): RequestInit {
  return {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: typeof fields === 'string' ? fields : new URLSearchParams(fields).toString(),
  }
}

describe('POST /oauth2/token (RFC 8693)', () => {
  it('IDP-101 a provider token is exchanged for a bearer token that works at the ingress', async () => {
    const { send, token, time } = await setup()
    const subject = await token({ exp: time.seconds() + 7200 })
    const res = await send(
      '/oauth2/token',
      form({ grant_type: GRANT, subject_token: subject, subject_token_type: JWT_TYPE }),
    )
    expect(res.status).toBe(200)
    expect(res.headers.get('cache-control')).toBe('no-store')
    const body = (await res.json()) as Record<string, unknown>
    expect(body).toMatchObject({
      token_type: 'Bearer',
      issued_token_type: 'urn:ietf:params:oauth:token-type:access_token',
    })
    expect(body.expires_in).toBeGreaterThan(1700)
    expect(body.expires_in).toBeLessThanOrEqual(1800)
    const issued = decodeJwt(String(body.access_token))
    expect(issued).toMatchObject({
      iss: 'bearer.token.core',
      sub: 'corp:alice',
      idp: 'corp',
      roles: ['orders'],
      email: 'alice@corp.test',
    })
    expect(Number(issued.exp)).toBeLessThanOrEqual(time.seconds() + 1800)
    expect((await send('/demo/orders', order(String(body.access_token)))).status).toBe(200)
  })

  it("IDP-102 the gateway's own bearer token cannot be exchanged to extend its life", async () => {
    const { send, counts } = await setup()
    const own = await bearerToken(['admin'])
    const res = await send(
      '/oauth2/token',
      form({ grant_type: GRANT, subject_token: own, subject_token_type: JWT_TYPE }),
    )
    const body = await refused(res, 400, 'EXCHANGE_SUBJECT_TOKEN_INVALID')
    expect(body).toMatchObject({ error: 'invalid_request', detail: 'TOKEN_KIND_MISMATCH' })
    expect(counts.bearerMints).toBe(0)
  })

  it('IDP-103 a forged, expired or foreign subject token mints nothing', async () => {
    const { send, token, time, counts } = await setup()
    const past = time.seconds() - 3600
    const stranger = await testKey('RS256', 'corp-1')
    const cases: Array<[string, string]> = [
      [await token({ iat: past, exp: past + 60 }), 'TOKEN_EXPIRED'],
      [await token({}, stranger), 'TOKEN_INVALID_SIGNATURE'],
      [await token({ iss: 'https://evil.test' }), 'TOKEN_ISSUER_NOT_TRUSTED'],
      ['not-a-token', 'TOKEN_MALFORMED'],
    ]
    for (const [subject, code] of cases) {
      const res = await send(
        '/oauth2/token',
        form({ grant_type: GRANT, subject_token: subject, subject_token_type: JWT_TYPE }),
      )
      expect((await refused(res, 400, 'EXCHANGE_SUBJECT_TOKEN_INVALID')).detail).toBe(code)
    }
    expect(counts.bearerMints).toBe(0)
  })

  it('IDP-104 malformed exchange requests are refused with the OAuth error code', async () => {
    const { send, token } = await setup()
    const subject = await token()
    const ok = { grant_type: GRANT, subject_token: subject, subject_token_type: JWT_TYPE }
    const cases: Array<[RequestInit, string, string]> = [
      [
        form({ ...ok, grant_type: 'client_credentials' }),
        'EXCHANGE_GRANT_UNSUPPORTED',
        'unsupported_grant_type',
      ],
      [
        form({ subject_token: subject, subject_token_type: JWT_TYPE }),
        'EXCHANGE_REQUEST_INVALID',
        'invalid_request',
      ],
      [
        form({ grant_type: GRANT, subject_token_type: JWT_TYPE }),
        'EXCHANGE_REQUEST_INVALID',
        'invalid_request',
      ],
      [
        form({ grant_type: GRANT, subject_token: subject }),
        'EXCHANGE_REQUEST_INVALID',
        'invalid_request',
      ],
      [
        form({ ...ok, subject_token_type: 'urn:x:saml2' }),
        'EXCHANGE_REQUEST_INVALID',
        'invalid_request',
      ],
      [
        form({ ...ok, requested_token_type: 'urn:ietf:params:oauth:token-type:refresh_token' }),
        'EXCHANGE_REQUEST_INVALID',
        'invalid_request',
      ],
      [
        form(`${new URLSearchParams(ok)}&grant_type=${encodeURIComponent(GRANT)}`),
        'EXCHANGE_REQUEST_INVALID',
        'invalid_request',
      ],
      [
        form({ ...ok, actor_token: subject, actor_token_type: JWT_TYPE }),
        'EXCHANGE_REQUEST_INVALID',
        'invalid_request',
      ],
      [form({ ...ok, audience: 'billing' }), 'EXCHANGE_TARGET_INVALID', 'invalid_target'],
      [
        form({ ...ok, resource: 'https://billing.test/' }),
        'EXCHANGE_TARGET_INVALID',
        'invalid_target',
      ],
      [
        {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(ok),
        },
        'EXCHANGE_REQUEST_INVALID',
        'invalid_request',
      ],
    ]
    for (const [init, code, error] of cases) {
      const body = await refused(await send('/oauth2/token', init), 400, code)
      expect(body.error).toBe(error)
    }
  })

  it('IDP-105 an oversized exchange body is refused while streaming (400 invalid_request)', async () => {
    const { send } = await setup()
    const big = `grant_type=${encodeURIComponent(GRANT)}&subject_token=${'a'.repeat(20_000)}`
    const stream = new Blob([big]).stream()
    const res = await send('/oauth2/token', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: stream,
      duplex: 'half',
    } as RequestInit)
    const body = await refused(res, 400, 'EXCHANGE_REQUEST_INVALID')
    expect(body.error).toBe('invalid_request')
  })

  it('IDP-106 the token endpoint takes POST only', async () => {
    const { send } = await setup()
    const res = await send('/oauth2/token')
    await refused(res, 405, 'METHOD_NOT_ALLOWED')
    expect(res.headers.get('allow')).toBe('POST')
  })

  it('IDP-107 a token exchanged from a provider keeps the provider as idp when used', async () => {
    const { send, token, link } = await setup()
    const res = await send(
      '/oauth2/token',
      form({ grant_type: GRANT, subject_token: await token(), subject_token_type: JWT_TYPE }),
    )
    const issued = String(((await res.json()) as Record<string, unknown>).access_token)
    expect((await send('/demo/orders', order(issued))).status).toBe(200)
    expect(decodeJwt(link.sent[0]!.request.actor!)).toMatchObject({
      sub: 'corp:alice',
      idp: 'corp',
      roles: ['orders'],
    })
  })
})

describe('the JWKS fetch the worker uses', () => {
  it('IDP-201 a provider JWKS is fetched from the pinned URL only, never redirected', async () => {
    const { jwksFetcher } = await import('./jwks-fetch.js')
    const asked: Array<{ url: string; redirect?: string }> = []
    const fake = (async (url: string, init?: RequestInit) => {
      asked.push({ url, ...(init?.redirect && { redirect: init.redirect }) })
      return new Response(null, { status: 302, headers: { location: inject('trapUrl') } })
    }) as unknown as typeof fetch
    await expect(jwksFetcher(1000, fake)(JWKS_URL)).rejects.toThrow('302')
    expect(asked).toEqual([{ url: JWKS_URL, redirect: 'manual' }])
  })

  it('IDP-202 a provider that never answers costs at most the fetch timeout', async () => {
    const { jwksFetcher } = await import('./jwks-fetch.js')
    const started = Date.now()
    await expect(jwksFetcher(300)(inject('blackholeUrl'))).rejects.toThrow()
    expect(Date.now() - started).toBeLessThan(2000)
  })
})
