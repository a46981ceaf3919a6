import { base64url, SignJWT } from 'jose'
import { describe, expect, inject, it } from 'vitest'
import { ISSUERS, PROBLEM_CONTENT_TYPE } from '../../core/index.js'
import { sign, signRaw, testKey, unsigned, type TestKey } from '../../core/tokens/testing.js'
import {
  bearerSigningKey,
  configuredPolicy,
  recordingLink,
  tokenServices,
} from '../testing/index.js'
import { createIngress, type TokenServices } from './index.js'

// The JWT attack list against the ingress inside workerd, with the real token workers
// behind its service bindings. Every token goes to the public GET /demo/orders, so a refusal
// is the token's own and not a missing claim; nothing refused may reach the link.
const EDGE = 'https://edge.test'

/** Counts how often the ingress asks the bearer service for its keys. */
function countingServices() {
  const real = tokenServices()
  const counts = { jwks: 0 }
  const tokens: TokenServices = {
    access: real.access,
    bearer: {
      mint: (request) => real.bearer.mint(request),
      jwks: () => {
        counts.jwks++
        return real.bearer.jwks()
      },
      revoke: (jti, expiresAt) => real.bearer.revoke(jti, expiresAt),
      isRevoked: (jti) => real.bearer.isRevoked(jti),
    },
  }
  return { tokens, counts }
}

function setup() {
  const link = recordingLink()
  const { tokens, counts } = countingServices()
  const app = createIngress({ policy: configuredPolicy(), link, tokens, now: Date.now })
  const present = (token: string) =>
    app.fetch(new Request(`${EDGE}/demo/orders`, { headers: { authorization: `Bearer ${token}` } }))
  return { link, counts, present }
}

async function codeOf(res: Response): Promise<string> {
  expect(res.status).toBe(401)
  expect(res.headers.get('content-type')).toBe(PROBLEM_CONTENT_TYPE)
  expect(res.headers.get('www-authenticate')).toBe('Bearer error="invalid_token"')
  return ((await res.json()) as { code: string }).code
}

const now = () => Math.floor(Date.now() / 1000)

function claims(extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    iss: ISSUERS.bearer,
    aud: 'portcullis',
    sub: 'mallory',
    roles: ['admin'],
    iat: now(),
    exp: now() + 600,
    jti: base64url.encode(crypto.getRandomValues(new Uint8Array(16))),
    ...extra,
  }
}

let real: TestKey | undefined
const realKey = async () => (real ??= await bearerSigningKey())

async function trapHits(): Promise<number> {
  return ((await (await fetch(inject('trapHitsUrl'))).json()) as { hits: number }).hits
}

describe('ingress: the JWT attack list, inside workerd', () => {
  it('AUTH-109 a token signed with the real bearer key and ordinary claims passes (the baseline)', async () => {
    const { present, link } = setup()
    expect((await present(await sign(await realKey(), claims()))).status).toBe(200)
    expect(link.sent).toHaveLength(1)
  })

  it('AUTH-110 alg none, with the real kid, with and without a signature, is refused', async () => {
    const { present, link } = setup()
    const key = await realKey()
    for (const alg of ['none', 'None', 'NONE']) {
      const token = unsigned({ alg, kid: key.kid, typ: 'JWT' }, claims())
      expect(await codeOf(await present(token))).toBe('TOKEN_ALGORITHM_NOT_ALLOWED')
      const signed = await sign(key, claims())
      const withSig = `${token}${signed.split('.')[2]}`
      expect(await codeOf(await present(withSig))).toBe('TOKEN_ALGORITHM_NOT_ALLOWED')
    }
    expect(link.sent).toHaveLength(0)
  })

  it('AUTH-111 HS256 signed with the published public key as the secret is refused', async () => {
    const { present, link } = setup()
    const key = await realKey()
    const publicJwk = key.jwk as { x: string }
    const secrets = [
      base64url.decode(publicJwk.x),
      new TextEncoder().encode(JSON.stringify(key.jwk)),
      new TextEncoder().encode(publicJwk.x),
    ]
    for (const secret of secrets) {
      const token = await new SignJWT(claims())
        .setProtectedHeader({ alg: 'HS256', kid: key.kid, typ: 'JWT' })
        .sign(secret)
      expect(await codeOf(await present(token))).toBe('TOKEN_ALGORITHM_NOT_ALLOWED')
    }
    expect(link.sent).toHaveLength(0)
  })

  it("AUTH-112 an embedded jwk (the attacker's own key) is refused and not used", async () => {
    const { present, link } = setup()
    const attacker = await testKey('EdDSA', (await realKey()).kid)
    const token = await sign(attacker, claims(), { jwk: attacker.jwk })
    expect(await codeOf(await present(token))).toBe('TOKEN_MALFORMED')
    expect(link.sent).toHaveLength(0)
  })

  it('AUTH-113 jku and x5u pointing at a key server the test runs are refused, and it is never contacted', async () => {
    const { present, link } = setup()
    const attacker = await testKey('EdDSA', 'attacker-1')
    const before = await trapHits()
    for (const member of ['jku', 'x5u']) {
      const token = await sign(attacker, claims(), { [member]: inject('trapUrl') })
      expect(await codeOf(await present(token))).toBe('TOKEN_MALFORMED')
    }
    expect(await trapHits()).toBe(before)
    expect(link.sent).toHaveLength(0)
  })

  it('AUTH-114 kid injection (path traversal, SQL, URL, control characters) is refused before any key lookup', async () => {
    const { present, link, counts } = setup()
    const attacker = await testKey('EdDSA', 'attacker-1')
    for (const kid of [
      '../../../../etc/passwd',
      "' OR '1'='1",
      inject('trapUrl'),
      'kid\u0000x',
      'a b',
    ]) {
      const token = await sign(attacker, claims(), { kid })
      expect(await codeOf(await present(token))).toBe('TOKEN_MALFORMED')
    }
    expect(counts.jwks).toBe(0)
    expect(link.sent).toHaveLength(0)
  })

  it('AUTH-115 a flood of unknown kids costs at most one key refresh', async () => {
    const { present, link, counts } = setup()
    // The first valid token loads the keys once.
    expect((await present(await sign(await realKey(), claims()))).status).toBe(200)
    const loads = counts.jwks
    const attacker = await testKey('EdDSA', 'attacker-0')
    for (let i = 0; i < 40; i++) {
      const token = await sign(attacker, claims(), { kid: `flood-${i}` })
      expect(await codeOf(await present(token))).toBe('TOKEN_KEY_UNKNOWN')
    }
    expect(counts.jwks - loads).toBeLessThanOrEqual(1)
    expect(link.sent).toHaveLength(1)
  })

  it('AUTH-116 an unknown crit extension is refused, even with the right key', async () => {
    const { present, link } = setup()
    const key = await realKey()
    const header = JSON.stringify({ alg: 'EdDSA', kid: key.kid, typ: 'JWT', crit: ['ext'], ext: 1 })
    const token = await signRaw(key, header, JSON.stringify(claims()))
    expect(await codeOf(await present(token))).toBe('TOKEN_MALFORMED')
    expect(link.sent).toHaveLength(0)
  })

  it('AUTH-117 an ECDSA header with a zero signature is refused', async () => {
    const { present, link } = setup()
    const key = await realKey()
    const input = `${base64url.encode(JSON.stringify({ alg: 'ES256', kid: key.kid, typ: 'JWT' }))}.${base64url.encode(JSON.stringify(claims()))}`
    const token = `${input}.${base64url.encode(new Uint8Array(64))}`
    expect(await codeOf(await present(token))).toBe('TOKEN_ALGORITHM_NOT_ALLOWED')
    expect(link.sent).toHaveLength(0)
  })

  it('AUTH-118 expired, not yet valid and issued-in-the-future tokens with the right key are refused', async () => {
    const { present, link } = setup()
    const key = await realKey()
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ iat: now() - 7200, exp: now() - 3600 }, 'TOKEN_EXPIRED'],
      [{ nbf: now() + 3600 }, 'TOKEN_NOT_YET_VALID'],
      [{ iat: now() + 3600, exp: now() + 7200 }, 'TOKEN_NOT_YET_VALID'],
    ]
    for (const [extra, code] of cases) {
      expect(await codeOf(await present(await sign(key, claims(extra))))).toBe(code)
    }
    expect(link.sent).toHaveLength(0)
  })

  it('AUTH-119 a wrong or missing audience with the right key is refused', async () => {
    const { present, link } = setup()
    const key = await realKey()
    for (const aud of ['portcullis-admin', ['other'], 'Portcullis']) {
      const token = await sign(key, claims({ aud }))
      expect(await codeOf(await present(token))).toBe('TOKEN_AUDIENCE_INVALID')
    }
    const { aud: _, ...noAud } = claims()
    expect(await codeOf(await present(await sign(key, noAud)))).toBe('TOKEN_AUDIENCE_INVALID')
    expect(link.sent).toHaveLength(0)
  })

  it('AUTH-120 look-alike issuers and the right key with another issuer are not trusted', async () => {
    const { present, link } = setup()
    const key = await realKey()
    for (const iss of [
      `${ISSUERS.bearer} `,
      'Bearer.token.core',
      'bearer.token.core.evil',
      'bearer.t\u043Eken.core',
      ISSUERS.access,
      'https://bearer.token.core',
    ]) {
      const token = await sign(key, claims({ iss }))
      expect(await codeOf(await present(token))).toBe('TOKEN_ISSUER_NOT_TRUSTED')
    }
    expect(link.sent).toHaveLength(0)
  })

  it('AUTH-121 an oversized token is refused before any key is fetched', async () => {
    const { present, link, counts } = setup()
    const attacker = await testKey('EdDSA', 'attacker-1')
    const token = await sign(attacker, claims({ pad: 'a'.repeat(10_000) }))
    expect(await codeOf(await present(token))).toBe('TOKEN_TOO_LARGE')
    expect(counts.jwks).toBe(0)
    expect(link.sent).toHaveLength(0)
  })

  it('AUTH-123 a jti of a shape the bearer service never mints is refused, even with the right key', async () => {
    const { present, link } = setup()
    const key = await realKey()
    for (const jti of ['short', 'a/b/c/d/e/f/g/h/i/j', 42]) {
      expect(await codeOf(await present(await sign(key, claims({ jti }))))).toBe('TOKEN_MALFORMED')
    }
    expect(link.sent).toHaveLength(0)
  })

  it('AUTH-122 duplicate JSON keys in the header or the payload are refused, even correctly signed', async () => {
    const { present, link } = setup()
    const key = await realKey()
    const header = `{"alg":"EdDSA","kid":"${key.kid}","typ":"JWT"}`
    const body = JSON.stringify(claims({ roles: ['reader'] }))
    const dupPayload = `${body.slice(0, -1)},"roles":["admin"]}`
    const dupHeader = `{"alg":"EdDSA","alg":"EdDSA","kid":"${key.kid}","typ":"JWT"}`
    expect(await codeOf(await present(await signRaw(key, header, dupPayload)))).toBe(
      'TOKEN_MALFORMED',
    )
    expect(await codeOf(await present(await signRaw(key, dupHeader, body)))).toBe('TOKEN_MALFORMED')
    expect(link.sent).toHaveLength(0)
  })
})
