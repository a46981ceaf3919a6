import fc from 'fast-check'
import { decodeJwt } from 'jose'
import { describe, expect, it } from 'vitest'
import { isErrorCode, PROBLEM_CONTENT_TYPE, type EdgePolicy } from '../../core/index.js'
import { sign, testKey, TestJwksServer, unsigned, type TestKey } from '../../core/tokens/testing.js'
import {
  bearerService,
  bearerToken,
  configuredPolicy,
  recordingLink,
  tokenServices,
} from '../testing/index.js'
import { createIngress, type TokenServices } from './index.js'
import { MIN_EXCHANGED_LIFETIME_SECONDS } from './token-endpoint.js'

// POST /oauth2/token inside workerd with the real token workers behind its bindings: with no
// identity provider configured (the repository's config) and with one, `corp`, whose JWKS a
// stand-in serves. Whatever a client sends, the answer is a token or a 400 problem+json with
// the RFC 6749 `error`, `Cache-Control: no-store`, and nothing minted. The endpoint's rate
// limit has tests of its own (rate-limit.test.ts); without rate limits nothing is counted.
const EDGE = 'https://edge.test'
const ISSUER = 'https://login.corp.test/realm'
const JWKS_URL = 'https://login.corp.test/realm/jwks'
const GRANT = 'urn:ietf:params:oauth:grant-type:token-exchange'
const JWT_TYPE = 'urn:ietf:params:oauth:token-type:jwt'
const SKEW = 5

function withProvider(): EdgePolicy {
  return {
    ...configuredPolicy(),
    tokens: {
      accessTtlSeconds: 60,
      clockSkewSeconds: SKEW,
      jwks: {
        cooldownSeconds: 30,
        refreshSeconds: 120,
        maxStaleSeconds: 600,
        fetchTimeoutMs: 1000,
      },
    },
    identityProviders: {
      corp: {
        issuer: ISSUER,
        audience: 'portcullis-api',
        algorithms: ['RS256'],
        jwksUrl: JWKS_URL,
        roles: { claim: 'groups', map: { 'gw-orders': 'orders' } },
        exchangeTtlSeconds: 1800,
      },
    },
  }
}

function counting() {
  const real = tokenServices()
  const counts = { access: 0, bearer: 0 }
  const tokens: TokenServices = {
    access: { mint: (r) => (counts.access++, real.access.mint(r)), jwks: () => real.access.jwks() },
    bearer: {
      mint: (r) => (counts.bearer++, real.bearer.mint(r)),
      jwks: () => real.bearer.jwks(),
      revoke: (jti, expiresAt) => real.bearer.revoke(jti, expiresAt),
      isRevoked: (jti) => real.bearer.isRevoked(jti),
    },
  }
  return { tokens, counts }
}

const key = await testKey('RS256', 'corp-1')

async function setup(policy: EdgePolicy = withProvider()) {
  let offsetMs = 0
  const now = () => Date.now() + offsetMs
  const seconds = () => Math.floor(now() / 1000)
  const idp = new TestJwksServer({ keys: [key.jwk] })
  const link = recordingLink()
  const { tokens, counts } = counting()
  const app = createIngress({
    policy,
    link,
    tokens,
    now,
    fetchJwks: idp.fetchJwks as (url: string) => Promise<string>,
  })
  const send = (path: string, init?: RequestInit) => app.fetch(new Request(EDGE + path, init))
  const token = (extra: Record<string, unknown> = {}, k: TestKey = key, header = {}) =>
    sign(
      k,
      {
        iss: ISSUER,
        aud: 'portcullis-api',
        sub: 'alice',
        iat: seconds(),
        exp: seconds() + 300,
        groups: ['gw-orders'],
        ...extra,
      },
      header,
    )
  const advance = (s: number) => (offsetMs += s * 1000)
  const setNow = (ms: number) => (offsetMs = ms - Date.now())
  return { app, send, token, counts, link, seconds, advance, setNow, idp }
}

function form(fields: Record<string, string> | string, type = 'application/x-www-form-urlencoded') {
  return {
    method: 'POST',
    headers: { 'content-type': type },
    body: typeof fields === 'string' ? fields : new URLSearchParams(fields).toString(),
  }
}

const exchange = (subject: string) =>
  form({ grant_type: GRANT, subject_token: subject, subject_token_type: JWT_TYPE })

/** A refusal of the token endpoint: 400, problem+json, the RFC 6749 error, never cached. */
async function oauthRefused(res: Response, code: string, error = 'invalid_request') {
  expect(res.status).toBe(400)
  expect(res.headers.get('content-type')).toBe(PROBLEM_CONTENT_TYPE)
  expect(res.headers.get('cache-control')).toBe('no-store')
  const body = (await res.json()) as Record<string, unknown>
  expect(body).toMatchObject({ status: 400, code, error })
  expect(body.requestId).toBe(res.headers.get('x-request-id'))
  return body
}

/** Every kind of subject token a client may send that is not an exchangeable provider token. */
async function badSubjects(
  token: Awaited<ReturnType<typeof setup>>['token'],
  seconds: () => number,
) {
  const now = seconds()
  const stranger = await testKey('RS256', 'corp-1')
  const other = await testKey('RS256', 'corp-9')
  const access = await tokenServices().access.mint({
    sub: 'alice',
    aud: 'portcullis:demo',
    idp: 'bearer',
  })
  const bearerShort = await bearerService().mint({ sub: 'alice', roles: ['admin'], ttlSeconds: 60 })
  return [
    ['a gateway bearer token', await bearerToken(['admin']), 'TOKEN_KIND_MISMATCH'],
    ['a short gateway bearer token', bearerShort.token, 'TOKEN_KIND_MISMATCH'],
    ['a gateway access token', access.token, 'TOKEN_ISSUER_NOT_TRUSTED'],
    ['an expired token', await token({ iat: now - 600, exp: now - 300 }), 'TOKEN_EXPIRED'],
    ['a token not yet valid', await token({ nbf: now + 600 }), 'TOKEN_NOT_YET_VALID'],
    [
      'a token issued in the future',
      await token({ iat: now + 600, exp: now + 900 }),
      'TOKEN_NOT_YET_VALID',
    ],
    ['a token for another audience', await token({ aud: 'billing-api' }), 'TOKEN_AUDIENCE_INVALID'],
    [
      'a token of a foreign issuer',
      await token({ iss: 'https://evil.test' }),
      'TOKEN_ISSUER_NOT_TRUSTED',
    ],
    ['a token with an unknown kid', await token({}, other), 'TOKEN_KEY_UNKNOWN'],
    ['a token signed by a stranger', await token({}, stranger), 'TOKEN_INVALID_SIGNATURE'],
    [
      'alg none',
      unsigned({ alg: 'none', kid: 'corp-1' }, { iss: ISSUER, sub: 'a' }),
      'TOKEN_ALGORITHM_NOT_ALLOWED',
    ],
    [
      'a token with jku',
      await token({}, key, { jku: 'https://evil.test/jwks' }),
      'TOKEN_MALFORMED',
    ],
    ['an oversized token', `${'a'.repeat(9000)}.b.c`, 'TOKEN_TOO_LARGE'],
    ['garbage', 'not-a-token', 'TOKEN_MALFORMED'],
    ['three empty parts', '..', 'TOKEN_MALFORMED'],
    ['a JSON text', '{"iss":"x"}', 'TOKEN_MALFORMED'],
  ] as const
}

describe('POST /oauth2/token: never a 500', () => {
  it('TOKEN-102 with no identity provider configured every subject token gets 400 invalid_request, nothing is minted', async () => {
    const { send, token, counts, seconds } = await setup(configuredPolicy())
    expect(configuredPolicy().identityProviders ?? {}).toEqual({})
    for (const [, subject] of await badSubjects(token, seconds)) {
      const body = await oauthRefused(
        await send('/oauth2/token', exchange(subject)),
        'EXCHANGE_SUBJECT_TOKEN_INVALID',
      )
      expect(isErrorCode(body.detail)).toBe(true)
    }
    // A token that would be a fine provider token, had the provider been configured.
    const body = await oauthRefused(
      await send('/oauth2/token', exchange(await token())),
      'EXCHANGE_SUBJECT_TOKEN_INVALID',
    )
    expect(body.detail).toBe('TOKEN_ISSUER_NOT_TRUSTED')
    expect(counts.bearer).toBe(0)
  })

  it('TOKEN-103 with a provider, every subject token it cannot exchange gets 400 invalid_request with its token code, nothing is minted', async () => {
    const { send, token, counts, seconds } = await setup()
    for (const [what, subject, code] of await badSubjects(token, seconds)) {
      const body = await oauthRefused(
        await send('/oauth2/token', exchange(subject)),
        'EXCHANGE_SUBJECT_TOKEN_INVALID',
      )
      expect({ what, detail: body.detail }).toEqual({ what, detail: code })
    }
    expect(counts.bearer).toBe(0)
  })

  it('TOKEN-104 malformed forms get 400 with the RFC 6749 error: content types, encodings, missing, empty and repeated parameters, delegation, huge bodies', async () => {
    const { send, token } = await setup()
    const subject = await token()
    const ok = { grant_type: GRANT, subject_token: subject, subject_token_type: JWT_TYPE }
    const query = new URLSearchParams(ok).toString()
    const latin1 = new Uint8Array([...new TextEncoder().encode(`${query}&scope=`), 0xe9, 0xff])
    const cases: Array<[string, RequestInit, string, string?]> = [
      ['no content type', { method: 'POST', body: query }, 'EXCHANGE_REQUEST_INVALID'],
      ['json', form(JSON.stringify(ok), 'application/json'), 'EXCHANGE_REQUEST_INVALID'],
      ['text/plain', form(ok, 'text/plain'), 'EXCHANGE_REQUEST_INVALID'],
      ['multipart', form(ok, 'multipart/form-data; boundary=x'), 'EXCHANGE_REQUEST_INVALID'],
      [
        'a form type with junk',
        form(ok, 'application/x-www-form-urlencoded-x'),
        'EXCHANGE_REQUEST_INVALID',
      ],
      ['not UTF-8', { ...form(''), body: latin1 }, 'EXCHANGE_REQUEST_INVALID'],
      ['an empty body', form(''), 'EXCHANGE_REQUEST_INVALID'],
      [
        'no body',
        { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' } },
        'EXCHANGE_REQUEST_INVALID',
      ],
      ['garbage', form('%%%&&&===;;;\u0000'), 'EXCHANGE_REQUEST_INVALID'],
      ['empty grant', form({ ...ok, grant_type: '' }), 'EXCHANGE_REQUEST_INVALID'],
      ['empty subject token', form({ ...ok, subject_token: '' }), 'EXCHANGE_REQUEST_INVALID'],
      [
        'another grant',
        form({ ...ok, grant_type: 'password' }),
        'EXCHANGE_GRANT_UNSUPPORTED',
        'unsupported_grant_type',
      ],
      [
        'a grant in another case',
        form({ ...ok, grant_type: GRANT.toUpperCase() }),
        'EXCHANGE_GRANT_UNSUPPORTED',
        'unsupported_grant_type',
      ],
      [
        'unknown subject token type',
        form({ ...ok, subject_token_type: 'urn:ietf:params:oauth:token-type:saml2' }),
        'EXCHANGE_REQUEST_INVALID',
      ],
      [
        'a refresh token asked',
        form({ ...ok, requested_token_type: 'urn:ietf:params:oauth:token-type:refresh_token' }),
        'EXCHANGE_REQUEST_INVALID',
      ],
      ['actor_token', form({ ...ok, actor_token: subject }), 'EXCHANGE_REQUEST_INVALID'],
      [
        'actor_token_type alone',
        form({ ...ok, actor_token_type: JWT_TYPE }),
        'EXCHANGE_REQUEST_INVALID',
      ],
      ['a repeated subject token', form(`${query}&subject_token=x`), 'EXCHANGE_REQUEST_INVALID'],
      ['a repeated unknown parameter', form(`${query}&x=1&x=2`), 'EXCHANGE_REQUEST_INVALID'],
      ['a repeated empty parameter', form(`${query}&scope=&scope=`), 'EXCHANGE_REQUEST_INVALID'],
      [
        'many parameters',
        form(
          `${query}${'&p'.repeat(1)}${Array.from({ length: 40 }, (_, i) => `&p${i}=1`).join('')}`,
        ),
        'EXCHANGE_REQUEST_INVALID',
      ],
      [
        'another audience',
        form({ ...ok, audience: 'billing' }),
        'EXCHANGE_TARGET_INVALID',
        'invalid_target',
      ],
      [
        'a resource',
        form({ ...ok, resource: 'https://billing.test/' }),
        'EXCHANGE_TARGET_INVALID',
        'invalid_target',
      ],
      ['a huge body', form(`${query}&scope=${'a'.repeat(20_000)}`), 'EXCHANGE_REQUEST_INVALID'],
      [
        'a huge declared length',
        {
          ...form(ok),
          headers: {
            'content-type': 'application/x-www-form-urlencoded',
            'content-length': '99999999',
          },
        },
        'EXCHANGE_REQUEST_INVALID',
      ],
    ]
    for (const [what, init, code, error] of cases) {
      let res: Response
      try {
        res = await send('/oauth2/token', init)
      } catch {
        continue // the runtime refuses to build it: no client can send it
      }
      const body = await oauthRefused(res, code, error).catch((e: unknown) => {
        throw new Error(`${what}: ${(e as Error).message}`)
      })
      expect(body.code, what).toBe(code)
    }
  })

  it('TOKEN-105 generated form bodies and tokens: always a token or a 400 with a known code and an OAuth error, never a 5xx', async () => {
    for (const policy of [configuredPolicy(), withProvider()]) {
      const { app, token } = await setup(policy)
      const good = await token({ exp: Math.floor(Date.now() / 1000) + 3600 })
      const bearer = await bearerToken(['orders'])
      const names = fc.constantFrom(
        ...['grant_type', 'subject_token', 'subject_token_type', 'requested_token_type'],
        ...['audience', 'resource', 'scope', 'actor_token', 'actor_token_type', 'x', ''],
      )
      const tokenText = fc.oneof(
        fc.constantFrom(good, bearer, `${good}x`, good.split('.').reverse().join('.'), '..', ''),
        fc.string({ maxLength: 60 }),
        fc
          .tuple(fc.base64String({ maxLength: 40 }), fc.base64String({ maxLength: 40 }))
          .map(([a, b]) => `${a}.${b}.`),
        fc
          .jsonValue({ maxDepth: 2 })
          .map(
            (v) =>
              `${btoa(JSON.stringify({ alg: 'RS256', kid: 'corp-1' }))}.${btoa(JSON.stringify(v))}.sig`,
          ),
      )
      const value = fc.oneof(
        fc.constantFrom(
          GRANT,
          JWT_TYPE,
          'urn:ietf:params:oauth:token-type:access_token',
          'portcullis',
        ),
        tokenText,
      )
      // A complete exchange with a generated subject token and extra parameters, so the
      // verifier (and, for the provider's own token, the mint) is reached, not only the form.
      const exchangeForm = fc
        .tuple(
          fc.oneof({ arbitrary: fc.constant(good), weight: 2 }, tokenText),
          fc.array(fc.tuple(names, value), { maxLength: 3 }),
        )
        .map(([subject, extra]) => {
          const p = new URLSearchParams({
            grant_type: GRANT,
            subject_token: subject,
            subject_token_type: JWT_TYPE,
          })
          for (const [n, v] of extra) p.append(n, v)
          return p.toString()
        })
      const body = fc.oneof(
        { arbitrary: exchangeForm, weight: 3 },
        fc.array(fc.tuple(names, value), { maxLength: 8 }).map((pairs) => {
          const p = new URLSearchParams()
          for (const [n, v] of pairs) p.append(n, v)
          return p.toString()
        }),
        fc.string({ maxLength: 200 }),
        fc.uint8Array({ maxLength: 200 }),
      )
      const type = fc.constantFrom(
        'application/x-www-form-urlencoded',
        'application/x-www-form-urlencoded; charset=utf-8',
        'APPLICATION/X-WWW-FORM-URLENCODED',
        'application/json',
        '',
        'text/plain',
      )
      const seen = new Set<number>()
      await fc.assert(
        fc.asyncProperty(body, type, async (b, t) => {
          let req: Request
          try {
            req = new Request(`${EDGE}/oauth2/token`, {
              method: 'POST',
              headers: t ? { 'content-type': t } : {},
              body: b,
            })
          } catch {
            return
          }
          const res = await app.fetch(req)
          expect(res.status === 200 || res.status === 400, `status ${res.status}`).toBe(true)
          seen.add(res.status)
          expect(res.headers.get('cache-control')).toBe('no-store')
          const answer = (await res.json()) as Record<string, unknown>
          if (res.status === 200) {
            expect(answer.token_type).toBe('Bearer')
            return
          }
          expect(isErrorCode(answer.code)).toBe(true)
          expect(['invalid_request', 'unsupported_grant_type', 'invalid_target']).toContain(
            answer.error,
          )
        }),
        { numRuns: 150 },
      )
      // Both ends of the property were reached: exchanges with the provider, refusals always.
      expect(seen.has(400)).toBe(true)
      if (Object.keys(policy.identityProviders ?? {}).length) expect(seen.has(200)).toBe(true)
    }
  })
})

describe('exchanged tokens never outlive their subject token', () => {
  it('IDP-604 a provider token with 2 s left, or less than the minimum useful life, is refused TOKEN_EXPIRED; nothing is minted', async () => {
    const { send, token, counts, seconds } = await setup()
    for (const left of [2, MIN_EXCHANGED_LIFETIME_SECONDS - 1]) {
      const res = await send('/oauth2/token', exchange(await token({ exp: seconds() + left })))
      expect((await oauthRefused(res, 'EXCHANGE_SUBJECT_TOKEN_INVALID')).detail).toBe(
        'TOKEN_EXPIRED',
      )
    }
    expect(counts.bearer).toBe(0)
  })

  it('IDP-605 a provider token expired within the clock skew is expired: not exchanged, not accepted as Authorization', async () => {
    const { send, token, counts, seconds, link } = await setup()
    const subject = await token({ iat: seconds() - 100, exp: seconds() - 1 })
    const res = await send('/oauth2/token', exchange(subject))
    expect((await oauthRefused(res, 'EXCHANGE_SUBJECT_TOKEN_INVALID')).detail).toBe('TOKEN_EXPIRED')
    const used = await send('/demo/orders', { headers: { authorization: `Bearer ${subject}` } })
    expect(used.status).toBe(401)
    expect(((await used.json()) as { code: string }).code).toBe('TOKEN_EXPIRED')
    expect(counts).toEqual({ access: 0, bearer: 0 })
    expect(link.sent).toHaveLength(0)
  })

  it("IDP-606 the bearer token issued ends at the subject token's exp, not after exchangeTtlSeconds", async () => {
    const { send, token, seconds } = await setup()
    const exp = seconds() + 60
    const res = await send('/oauth2/token', exchange(await token({ exp })))
    expect(res.status).toBe(200)
    const body = (await res.json()) as { access_token: string; expires_in: number }
    expect(decodeJwt(body.access_token).exp).toBeLessThanOrEqual(exp)
    expect(body.expires_in).toBeLessThanOrEqual(60)
    expect(body.expires_in).toBeGreaterThan(50)
  })

  it('IDP-607 an access token minted at the ingress, and its cached copy, end with the presented bearer token', async () => {
    const { send, counts, link, advance } = await setup()
    const short = await bearerService().mint({ sub: 'alice', roles: ['orders'], ttlSeconds: 20 })
    const get = () => send('/demo/orders', { headers: { authorization: `Bearer ${short.token}` } })
    expect((await get()).status).toBe(200)
    expect(decodeJwt(link.sent[0]!.request.actor!).exp).toBeLessThanOrEqual(short.expiresAt)
    // Reused while both live (the access token ends with the bearer token, so no new mint).
    advance(15)
    expect((await get()).status).toBe(200)
    expect(counts.access).toBe(1)
    expect(link.sent[1]!.request.actor).toBe(link.sent[0]!.request.actor)
    // Past the bearer token's exp, within the skew: refused, the cached copy is never handed out.
    advance(6)
    const late = await get()
    expect(late.status).toBe(401)
    expect(((await late.json()) as { code: string }).code).toBe('TOKEN_EXPIRED')
    expect(link.sent).toHaveLength(2)
  })

  it('IDP-608 a presented token with under a second left mints no access token and is refused TOKEN_EXPIRED', async () => {
    const { send, token, counts, link, seconds, setNow } = await setup()
    const exp = seconds() + 30
    const subject = await token({ exp })
    setNow(exp * 1000 - 500)
    const res = await send('/demo/orders', { headers: { authorization: `Bearer ${subject}` } })
    expect(res.status).toBe(401)
    expect(((await res.json()) as { code: string }).code).toBe('TOKEN_EXPIRED')
    expect(counts.access).toBe(0)
    expect(link.sent).toHaveLength(0)
  })
})
