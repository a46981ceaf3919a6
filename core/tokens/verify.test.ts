import { beforeAll, describe, expect, it } from 'vitest'
import { base64url, exportSPKI, SignJWT } from 'jose'
import { accessAudienceOf } from './audience.js'
import { ISSUERS } from './constants.js'
import { TokenError, type TokenErrorCode } from './errors.js'
import type { TokenKindConfig } from './kinds.js'
import {
  jwksOf,
  sign,
  signRaw,
  TestClock,
  TestJwksServer,
  testKey,
  unsigned,
  type TestKey,
} from './testing.js'
import { createTokenVerifier, type ExpectedKinds, type TokenVerifierOptions } from './verify.js'

const IDP = 'https://idp.example/'
const IDP_JWKS = 'https://idp.example/.well-known/jwks.json'
const AUDIENCE = 'portcullis'
const IDP_AUDIENCE = 'api://portcullis'

let access: TestKey
let bearer: TestKey
let rsa: TestKey
let ps: TestKey
let ec: TestKey
let ed: TestKey
let attacker: TestKey

beforeAll(async () => {
  ;[access, bearer, rsa, ps, ec, ed, attacker] = await Promise.all([
    testKey('EdDSA', 'access-1'),
    testKey('EdDSA', 'bearer-1'),
    testKey('RS256', 'idp-rs'),
    testKey('PS256', 'idp-ps'),
    testKey('ES256', 'idp-es'),
    testKey('EdDSA', 'idp-ed'),
    testKey('EdDSA', 'attacker'),
  ])
})

function kinds(): TokenKindConfig[] {
  return [
    {
      kind: 'access',
      issuer: ISSUERS.access,
      audience: AUDIENCE,
      algorithms: ['EdDSA'],
      keys: { jwks: jwksOf(access) },
      requiredClaims: ['jti'],
    },
    {
      kind: 'bearer',
      issuer: ISSUERS.bearer,
      audience: AUDIENCE,
      algorithms: ['EdDSA'],
      keys: { jwks: jwksOf(bearer) },
      requiredClaims: ['jti'],
    },
    {
      kind: 'external',
      issuer: IDP,
      audience: IDP_AUDIENCE,
      algorithms: ['RS256', 'PS256', 'ES256', 'EdDSA'],
      keys: { url: IDP_JWKS },
      maxLifetimeSeconds: 3600,
    },
  ]
}

function setup(extra: Partial<TokenVerifierOptions> = {}) {
  const clock = new TestClock()
  const idp = new TestJwksServer(jwksOf(rsa, ps, ec, ed))
  const verifier = createTokenVerifier({
    kinds: kinds(),
    now: clock.now,
    fetchJwks: idp.fetchJwks,
    ...extra,
  })
  const claims = (kind: 'access' | 'bearer' | 'external', over: Record<string, unknown> = {}) => ({
    iss: kind === 'external' ? IDP : ISSUERS[kind],
    aud: kind === 'external' ? IDP_AUDIENCE : AUDIENCE,
    sub: 'alice',
    iat: clock.seconds,
    exp: clock.seconds + 60,
    jti: 'j-1',
    ...over,
  })
  return { clock, idp, verifier, claims }
}

async function refused(promise: Promise<unknown>, code: TokenErrorCode): Promise<TokenError> {
  const error = await promise.then(
    () => expect.unreachable('the token was accepted'),
    (e: unknown) => e,
  )
  expect(error).toBeInstanceOf(TokenError)
  expect((error as TokenError).code).toBe(code)
  expect((error as TokenError).status).toBe(401)
  return error as TokenError
}

describe('token verification: accepted tokens', () => {
  it('AUTH-001 a valid access token passes and returns its kind and claims', async () => {
    const { verifier, claims } = setup()
    const token = await sign(access, claims('access', { idp: 'bearer' }))
    const result = await verifier.verify(token, 'access')
    expect(result).toMatchObject({ kind: 'access', issuer: ISSUERS.access, kid: 'access-1' })
    expect(result.claims).toMatchObject({ sub: 'alice', idp: 'bearer', aud: AUDIENCE })
  })

  it('AUTH-002 a valid bearer token passes, also where bearer or external is expected', async () => {
    const { verifier, claims, idp } = setup()
    const token = await sign(bearer, claims('bearer'))
    expect((await verifier.verify(token, 'bearer')).kind).toBe('bearer')
    expect((await verifier.verify(token, ['bearer', 'external'])).kind).toBe('bearer')
    expect(idp.calls).toEqual([])
  })

  it('AUTH-003 a valid external token passes for each allowed algorithm (RS256, PS256, ES256, EdDSA)', async () => {
    const { verifier, claims, idp } = setup()
    for (const key of [rsa, ps, ec, ed]) {
      const token = await sign(key, claims('external'))
      const result = await verifier.verify(token, ['bearer', 'external'])
      expect(result).toMatchObject({ kind: 'external', issuer: IDP, alg: key.alg })
    }
    expect(idp.calls).toEqual([IDP_JWKS])
  })

  it('accepts aud as a list naming the audience, typ at+jwt only when the kind says so', async () => {
    const { verifier, claims } = setup()
    const token = await sign(access, claims('access', { aud: ['other', AUDIENCE] }))
    expect((await verifier.verify(token, 'access')).kind).toBe('access')
    const atJwt = await sign(access, claims('access'), { typ: 'at+jwt' })
    await refused(verifier.verify(atJwt, 'access'), 'TOKEN_MALFORMED')
    const typed = createTokenVerifier({
      kinds: [{ ...kinds()[0]!, type: 'at+jwt' }],
      now: new TestClock().now,
    })
    expect((await typed.verify(atJwt, 'access')).kind).toBe('access')
  })

  it('IDP-601 an expired token is expired from its exp on: the clock skew never extends exp, for any kind', async () => {
    const { verifier, claims, clock } = setup()
    const tokens = {
      access: await sign(access, claims('access')),
      bearer: await sign(bearer, claims('bearer')),
      external: await sign(rsa, claims('external')),
    }
    clock.advance(59)
    clock.ms += 999
    for (const [kind, token] of Object.entries(tokens)) {
      expect((await verifier.verify(token, kind as 'access')).kind).toBe(kind)
    }
    // The kinds allow 30 s of skew; at exp, and a second after it, every token is expired.
    clock.ms += 1
    for (const [kind, token] of Object.entries(tokens)) {
      await refused(verifier.verify(token, kind as 'access'), 'TOKEN_EXPIRED')
    }
    clock.advance(1)
    for (const [kind, token] of Object.entries(tokens)) {
      await refused(verifier.verify(token, kind as 'access'), 'TOKEN_EXPIRED')
    }
  })

  it('IDP-602 the clock skew forgives nbf and iat a little ahead of this clock, and no more', async () => {
    const { verifier, claims, clock } = setup()
    const ahead = (s: number) =>
      sign(
        access,
        claims('access', {
          iat: clock.seconds + s,
          nbf: clock.seconds + s,
          exp: clock.seconds + s + 60,
        }),
      )
    expect((await verifier.verify(await ahead(30), 'access')).kind).toBe('access')
    await refused(verifier.verify(await ahead(31), 'access'), 'TOKEN_NOT_YET_VALID')
  })
})

describe('token verification: algorithm attacks', () => {
  it('AUTH-004 alg none (none, None, NONE, nOnE) is refused with and without a signature', async () => {
    const { verifier, claims, idp } = setup()
    for (const alg of ['none', 'None', 'NONE', 'nOnE']) {
      for (const expect_ of ['access', 'bearer', 'external'] as const) {
        const token = unsigned({ alg, kid: 'access-1', typ: 'JWT' }, claims(expect_))
        await refused(verifier.verify(token, expect_), 'TOKEN_ALGORITHM_NOT_ALLOWED')
        const signed = `${token}${base64url.encode('sig')}`
        await refused(verifier.verify(signed, expect_), 'TOKEN_ALGORITHM_NOT_ALLOWED')
      }
    }
    expect(idp.calls).toEqual([])
  })

  it('AUTH-005 HS256 signed with the published RS256 public key (PEM, DER, JWK) as the secret is refused', async () => {
    const { verifier, claims } = setup()
    const pem = await exportSPKI(rsa.publicKey)
    const der = base64url.decode(
      pem
        .replace(/-----[A-Z ]+-----/g, '')
        .replace(/\s+/g, '')
        .replace(/\+/g, '-')
        .replace(/\//g, '_')
        .replace(/=+$/, ''),
    )
    const secrets = [
      new TextEncoder().encode(pem),
      new TextEncoder().encode(pem.trim()),
      der,
      new TextEncoder().encode(JSON.stringify(rsa.jwk)),
      base64url.decode(rsa.jwk.n!),
    ]
    for (const secret of secrets) {
      for (const alg of ['HS256', 'HS384', 'HS512']) {
        const token = await new SignJWT(claims('external'))
          .setProtectedHeader({ alg, kid: rsa.kid, typ: 'JWT' })
          .sign(secret)
        await refused(verifier.verify(token, 'external'), 'TOKEN_ALGORITHM_NOT_ALLOWED')
      }
    }
  })

  it('AUTH-006 HS256 signed with the published EdDSA public key of an internal kind as the secret is refused', async () => {
    const { verifier, claims } = setup()
    const secrets = [
      base64url.decode(access.jwk.x!),
      new TextEncoder().encode(access.jwk.x!),
      new TextEncoder().encode(JSON.stringify(access.jwk)),
    ]
    for (const secret of secrets) {
      const token = await new SignJWT(claims('access'))
        .setProtectedHeader({ alg: 'HS256', kid: access.kid })
        .sign(secret)
      await refused(verifier.verify(token, 'access'), 'TOKEN_ALGORITHM_NOT_ALLOWED')
    }
  })

  it('AUTH-007 a header alg different from the key it names is refused (EC key with RS256 header, RSA key with ES256, RS256 key with PS256, Ed key with RS256)', async () => {
    const { verifier, claims } = setup()
    const cases: Array<[TestKey, TestKey]> = [
      // [key whose kid the header names, key that really signs with its own alg]
      [rsa, ec],
      [ec, rsa],
      [rsa, ps],
      [ed, rsa],
      [ps, ed],
    ]
    for (const [named, signer] of cases) {
      const token = await sign(signer, claims('external'), { kid: named.kid })
      await refused(verifier.verify(token, 'external'), 'TOKEN_ALGORITHM_NOT_ALLOWED')
    }
    const rsaForAccess = await sign(rsa, claims('access'), { kid: access.kid })
    await refused(verifier.verify(rsaForAccess, 'access'), 'TOKEN_ALGORITHM_NOT_ALLOWED')
  })
})

describe('token verification: key references in the header', () => {
  it('AUTH-008 an embedded jwk (the signer own key) is refused and not used', async () => {
    const { verifier, claims, idp } = setup()
    for (const [kind, kid] of [
      ['access', access.kid],
      ['external', rsa.kid],
    ] as const) {
      const token = await sign(attacker, claims(kind), { kid, jwk: attacker.jwk })
      await refused(verifier.verify(token, kind), 'TOKEN_MALFORMED')
    }
    expect(idp.calls).toEqual([])
  })

  it('AUTH-009 jku pointing at a URL is refused and the URL is never fetched', async () => {
    const { verifier, claims, idp } = setup()
    const jku = 'https://attacker.example/jwks.json'
    idp.jwks = jwksOf(attacker)
    const token = await sign(attacker, claims('external'), { kid: attacker.kid, jku })
    await refused(verifier.verify(token, 'external'), 'TOKEN_MALFORMED')
    await refused(verifier.verify(token, ['bearer', 'external']), 'TOKEN_MALFORMED')
    expect(idp.calls).toEqual([])
  })

  it('AUTH-010 x5u pointing at a URL is refused and the URL is never fetched', async () => {
    const { verifier, claims, idp } = setup()
    const x5u = 'https://attacker.example/cert.pem'
    const token = await sign(attacker, claims('external'), { kid: rsa.kid, x5u })
    await refused(verifier.verify(token, 'external'), 'TOKEN_MALFORMED')
    expect(idp.calls).toEqual([])
  })

  it('AUTH-011 an embedded x5c certificate chain is refused', async () => {
    const { verifier, claims, idp } = setup()
    const token = await sign(attacker, claims('external'), {
      kid: rsa.kid,
      x5c: ['MIIBszCCAVmgAwIBAgIUXz'],
    })
    await refused(verifier.verify(token, 'external'), 'TOKEN_MALFORMED')
    expect(idp.calls).toEqual([])
  })

  it('AUTH-012 kid with path traversal, SQL or control characters is refused before any key lookup', async () => {
    const { verifier, claims, idp } = setup()
    const kids: unknown[] = [
      '../../../etc/passwd',
      '..\\..\\keys\\access',
      "' OR '1'='1",
      'access-1; DROP TABLE keys;--',
      'access-1"--',
      '%2e%2e%2f%2e%2e%2fetc',
      'file:///dev/null',
      'access-1\u0000',
      'access-1\n',
      'k'.repeat(129),
      '',
      42,
      null,
      { $ne: null },
      ['access-1'],
    ]
    for (const kid of kids) {
      const token = await sign(attacker, claims('external'), { kid })
      await refused(verifier.verify(token, 'external'), 'TOKEN_MALFORMED')
    }
    expect(idp.calls).toEqual([])
  })

  it('AUTH-013 a token without kid is refused', async () => {
    const { verifier, claims } = setup()
    const token = await new SignJWT(claims('access'))
      .setProtectedHeader({ alg: 'EdDSA' })
      .sign(access.privateKey)
    await refused(verifier.verify(token, 'access'), 'TOKEN_MALFORMED')
  })

  it('AUTH-014 an unknown crit extension (and b64, zip, cty) is refused', async () => {
    const { verifier, claims } = setup()
    const payload = JSON.stringify(claims('access'))
    const headers = [
      {
        alg: 'EdDSA',
        kid: 'access-1',
        crit: ['urn:example:must-understand'],
        'urn:example:must-understand': 1,
      },
      { alg: 'EdDSA', kid: 'access-1', crit: ['exp'], exp: 1 },
      { alg: 'EdDSA', kid: 'access-1', crit: ['b64'], b64: false },
      { alg: 'EdDSA', kid: 'access-1', zip: 'DEF' },
      { alg: 'EdDSA', kid: 'access-1', cty: 'JWT' },
    ]
    for (const header of headers) {
      const token = await signRaw(access, JSON.stringify(header), payload)
      await refused(verifier.verify(token, 'access'), 'TOKEN_MALFORMED')
    }
  })
})

describe('token verification: signatures', () => {
  it('AUTH-015 an ECDSA zero signature (r = s = 0, raw and DER) does not verify', async () => {
    const { verifier, claims } = setup()
    const good = await sign(ec, claims('external'))
    const input = good.slice(0, good.lastIndexOf('.'))
    const zeros = [
      new Uint8Array(64),
      new Uint8Array([0x30, 0x06, 0x02, 0x01, 0x00, 0x02, 0x01, 0x00]),
      new Uint8Array(0),
      new Uint8Array(1),
    ]
    for (const sig of zeros) {
      const token = `${input}.${base64url.encode(sig)}`
      await refused(verifier.verify(token, 'external'), 'TOKEN_INVALID_SIGNATURE')
    }
  })

  it('AUTH-016 a payload changed after signing does not verify', async () => {
    const { verifier, claims } = setup()
    const token = await sign(access, claims('access'))
    const [h, , s] = token.split('.')
    const forged = base64url.encode(JSON.stringify(claims('access', { sub: 'admin' })))
    await refused(verifier.verify(`${h}.${forged}.${s}`, 'access'), 'TOKEN_INVALID_SIGNATURE')
  })

  it('AUTH-017 a token signed by a key outside the pinned set is refused (unknown kid, or known kid with a forged signature)', async () => {
    const { verifier, claims } = setup()
    const unknown = await sign(attacker, claims('access'))
    await refused(verifier.verify(unknown, 'access'), 'TOKEN_KEY_UNKNOWN')
    const forged = await sign(attacker, claims('access'), { kid: access.kid })
    await refused(verifier.verify(forged, 'access'), 'TOKEN_INVALID_SIGNATURE')
  })
})

describe('token verification: time', () => {
  it('AUTH-018 an expired token is refused', async () => {
    const { verifier, claims, clock } = setup()
    const token = await sign(
      access,
      claims('access', { iat: clock.seconds - 120, exp: clock.seconds - 31 }),
    )
    await refused(verifier.verify(token, 'access'), 'TOKEN_EXPIRED')
  })

  it('AUTH-019 a token before its nbf is refused', async () => {
    const { verifier, claims, clock } = setup()
    const token = await sign(access, claims('access', { nbf: clock.seconds + 31 }))
    await refused(verifier.verify(token, 'access'), 'TOKEN_NOT_YET_VALID')
  })

  it('AUTH-020 a token with iat in the future is refused', async () => {
    const { verifier, claims, clock } = setup()
    const iat = clock.seconds + 3600
    const token = await sign(access, claims('access', { iat, exp: iat + 60 }))
    await refused(verifier.verify(token, 'access'), 'TOKEN_NOT_YET_VALID')
  })

  it('AUTH-021 a lifetime beyond the kind cap is refused (access 15 min, bearer 90 days, external 1 h here)', async () => {
    const { verifier, claims, clock } = setup()
    const t = clock.seconds
    const cases: Array<[TestKey, 'access' | 'bearer' | 'external', number]> = [
      [access, 'access', 15 * 60 + 1],
      [bearer, 'bearer', 91 * 86400],
      [ec, 'external', 3601],
    ]
    for (const [key, kind, life] of cases) {
      const token = await sign(key, claims(kind, { iat: t, exp: t + life }))
      await refused(verifier.verify(token, kind), 'TOKEN_MALFORMED')
    }
    const backdated = await sign(access, claims('access', { iat: t - 86400, exp: t + 60 }))
    await refused(verifier.verify(backdated, 'access'), 'TOKEN_MALFORMED')
  })

  it('AUTH-022 missing or non-numeric exp, iat, and an exp of 1e400 are refused', async () => {
    const { verifier, claims } = setup()
    const base = claims('access')
    const variants: Record<string, unknown>[] = [
      { ...base, exp: undefined },
      { ...base, iat: undefined },
      { ...base, exp: String(base.exp) },
      { ...base, iat: true },
      { ...base, nbf: 'now' },
    ]
    for (const c of variants) {
      const token = await signRaw(
        access,
        JSON.stringify({ alg: 'EdDSA', kid: 'access-1' }),
        JSON.stringify(c),
      )
      const e = await verifier.verify(token, 'access').catch((e: TokenError) => e)
      expect((e as TokenError).code).toMatch(/^TOKEN_(MALFORMED|EXPIRED|NOT_YET_VALID)$/)
    }
    const huge = JSON.stringify(base).replace(`"exp":${base.exp}`, '"exp":1e400')
    const token = await signRaw(access, JSON.stringify({ alg: 'EdDSA', kid: 'access-1' }), huge)
    await refused(verifier.verify(token, 'access'), 'TOKEN_MALFORMED')
  })
})

describe('token verification: audience, issuer and kind', () => {
  it('AUTH-023 a wrong audience is refused', async () => {
    const { verifier, claims } = setup()
    for (const aud of [
      'other',
      ['other', 'another'],
      [],
      'PORTCULLIS',
      `${AUDIENCE} `,
      IDP_AUDIENCE,
    ]) {
      const token = await sign(access, claims('access', { aud }))
      await refused(verifier.verify(token, 'access'), 'TOKEN_AUDIENCE_INVALID')
    }
  })

  it('AUTH-024 a missing audience is refused', async () => {
    const { verifier, claims } = setup()
    const c = claims('access') as Record<string, unknown>
    delete c.aud
    await refused(verifier.verify(await sign(access, c), 'access'), 'TOKEN_AUDIENCE_INVALID')
    const ext = claims('external') as Record<string, unknown>
    delete ext.aud
    await refused(verifier.verify(await sign(rsa, ext), 'external'), 'TOKEN_AUDIENCE_INVALID')
  })

  it('AUTH-025 look-alike issuers signed with the right key are not trusted', async () => {
    const { verifier, claims } = setup()
    const lookalikes = [
      'access.token.core.',
      'ACCESS.token.core',
      'access.token.core ',
      ' access.token.core',
      '\u0430ccess.token.core', // Cyrillic a
      'access.token.core\u200b',
      'access.token.cor',
      'access.token.core/',
      'https://access.token.core',
    ]
    for (const iss of lookalikes) {
      const token = await sign(access, claims('access', { iss }))
      await refused(verifier.verify(token, 'access'), 'TOKEN_ISSUER_NOT_TRUSTED')
    }
    const none = await sign(access, { ...claims('access'), iss: undefined })
    await refused(verifier.verify(none, 'access'), 'TOKEN_ISSUER_NOT_TRUSTED')
    for (const iss of ['https://idp.example', 'https://IDP.example/', 'https://idp.example/.']) {
      const token = await sign(rsa, claims('external', { iss }))
      await refused(verifier.verify(token, 'external'), 'TOKEN_ISSUER_NOT_TRUSTED')
    }
  })

  it('AUTH-026 a bearer token where an access token is expected is refused', async () => {
    const { verifier, claims } = setup()
    const token = await sign(bearer, claims('bearer'))
    await refused(verifier.verify(token, 'access'), 'TOKEN_KIND_MISMATCH')
  })

  it('AUTH-027 an access token where a bearer token is expected is refused (also at the edge: bearer or external)', async () => {
    const { verifier, claims } = setup()
    const token = await sign(access, claims('access'))
    await refused(verifier.verify(token, 'bearer'), 'TOKEN_KIND_MISMATCH')
    await refused(verifier.verify(token, ['bearer', 'external']), 'TOKEN_KIND_MISMATCH')
  })

  it('AUTH-028 a token signed by the right key but for another issuer is refused', async () => {
    const { verifier, claims } = setup()
    // The access key signing a bearer token: the bearer kind's pinned keys do not hold it.
    const asBearer = await sign(access, claims('bearer'))
    await refused(verifier.verify(asBearer, 'bearer'), 'TOKEN_KEY_UNKNOWN')
    // The access key signing for the external issuer, as the edge would see it.
    const asIdp = await sign(access, claims('external'))
    await refused(verifier.verify(asIdp, ['bearer', 'external']), 'TOKEN_KEY_UNKNOWN')
    // The right key, an issuer nobody configured.
    const foreign = await sign(access, claims('access', { iss: 'evil.token.core' }))
    await refused(verifier.verify(foreign, 'access'), 'TOKEN_ISSUER_NOT_TRUSTED')
  })
})

describe('token verification: shape', () => {
  it('AUTH-029 an oversized token is refused before it is parsed or any key is fetched', async () => {
    const { verifier, claims, idp } = setup()
    const big = await sign(rsa, claims('external', { pad: 'x'.repeat(9000) }))
    await refused(verifier.verify(big, 'external'), 'TOKEN_TOO_LARGE')
    await refused(verifier.verify('a'.repeat(1_000_000), ['bearer', 'external']), 'TOKEN_TOO_LARGE')
    expect(idp.calls).toEqual([])
    const small = createTokenVerifier({
      kinds: [{ ...kinds()[0]!, maxTokenBytes: 400 }],
      now: new TestClock().now,
    })
    const token = await sign(access, claims('access', { pad: 'x'.repeat(300) }))
    await refused(small.verify(token, 'access'), 'TOKEN_TOO_LARGE')
  })

  it('AUTH-030 duplicate JSON keys in the header are refused, even when the signature is right', async () => {
    const { verifier, claims } = setup()
    const payload = JSON.stringify(claims('access'))
    const headers = [
      '{"alg":"EdDSA","kid":"access-1","alg":"none"}',
      '{"alg":"EdDSA","kid":"access-1","kid":"../../etc/passwd"}',
      '{"alg":"EdDSA","kid":"access-1","k\\u0069d":"other"}',
      '{"alg":"EdDSA","kid":"access-1","typ":"JWT","typ":"JWT"}',
    ]
    for (const header of headers) {
      await refused(
        verifier.verify(await signRaw(access, header, payload), 'access'),
        'TOKEN_MALFORMED',
      )
    }
  })

  it('AUTH-031 duplicate JSON keys in the payload are refused, even when the signature is right', async () => {
    const { verifier, claims } = setup()
    const header = '{"alg":"EdDSA","kid":"access-1"}'
    const json = JSON.stringify(claims('access'))
    const payloads = [
      json.replace('{', '{"sub":"admin",'),
      json.replace('{', '{"iss":"evil",'),
      json.replace('{', '{"s\\u0075b":"admin",'),
      json.replace('}', ',"roles":{"admin":false,"admin":true}}'),
      json.replace('{', '{"__proto__":{"admin":true},'),
    ]
    for (const payload of payloads) {
      await refused(
        verifier.verify(await signRaw(access, header, payload), 'access'),
        'TOKEN_MALFORMED',
      )
    }
  })

  it('AUTH-032 only compact JWS is accepted: JWE, JSON serialization, extra parts and bad base64url are refused', async () => {
    const { verifier, claims } = setup()
    const token = await sign(access, claims('access'))
    const [h, p, s] = token.split('.') as [string, string, string]
    const shapes = [
      `${h}.${p}`,
      `${h}.${p}.${s}.${s}`,
      `${h}.${p}.${s}.${s}.${s}`,
      JSON.stringify({ protected: h, payload: p, signature: s }),
      `${h}=.${p}.${s}`,
      `${h}.${p}+.${s}`,
      `${h} .${p}.${s}`,
      `.${p}.${s}`,
      `${h}..${s}`,
      `${base64url.encode('not json')}.${p}.${s}`,
      `${base64url.encode('["alg"]')}.${p}.${s}`,
      `${base64url.encode(new Uint8Array([0xff, 0xfe]))}.${p}.${s}`,
    ]
    for (const shape of shapes) {
      await refused(verifier.verify(shape, 'access'), 'TOKEN_MALFORMED')
    }
  })

  it('AUTH-033 a missing token is TOKEN_MISSING with WWW-Authenticate: Bearer', async () => {
    const { verifier } = setup()
    for (const token of [undefined, null, '']) {
      const e = await refused(verifier.verify(token, 'bearer'), 'TOKEN_MISSING')
      expect(e.headers).toEqual({ 'www-authenticate': 'Bearer' })
    }
  })

  it('AUTH-034 a revoked token is refused after it verifies', async () => {
    const revoked = new Set(['j-revoked'])
    const { verifier, claims } = setup({ isRevoked: (t) => revoked.has(t.claims.jti ?? '') })
    const token = await sign(bearer, claims('bearer', { jti: 'j-revoked' }))
    await refused(verifier.verify(token, 'bearer'), 'TOKEN_REVOKED')
    const fine = await sign(bearer, claims('bearer'))
    expect((await verifier.verify(fine, 'bearer')).claims.jti).toBe('j-1')
  })

  it('AUTH-035 a missing sub or a kind-required claim (jti) is refused', async () => {
    const { verifier, claims } = setup()
    for (const over of [
      { sub: undefined },
      { sub: '' },
      { sub: 7 },
      { jti: undefined },
      { jti: null },
    ]) {
      const token = await sign(bearer, { ...claims('bearer'), ...over })
      await refused(verifier.verify(token, 'bearer'), 'TOKEN_MALFORMED')
    }
  })

  it('AUTH-036 no refusal carries the token or a claim value in its message, reason or detail', async () => {
    const { verifier, claims, clock } = setup()
    const secretSub = 'sub-secret-7f3a'
    const tokens = [
      await sign(
        access,
        claims('access', { sub: secretSub, exp: clock.seconds - 100, iat: clock.seconds - 200 }),
      ),
      await sign(access, claims('access', { sub: secretSub, aud: 'x' })),
      await sign(attacker, claims('access', { sub: secretSub }), { kid: access.kid }),
      await sign(access, claims('access', { sub: secretSub, iss: 'evil' })),
      unsigned({ alg: 'none', kid: 'k' }, claims('access', { sub: secretSub })),
    ]
    for (const token of tokens) {
      const e = (await verifier.verify(token, 'access').catch((e: unknown) => e)) as TokenError
      const text = [e.message, e.reason, e.detail, String(e.stack)].join(' ')
      for (const part of token.split('.').filter((p) => p.length > 8)) {
        expect(text).not.toContain(part)
      }
      expect(text).not.toContain(secretSub)
    }
  })

  it('TOKEN-101 a verifier asked for a kind it has no configuration for refuses every token with a token code, never another error', async () => {
    const clock = new TestClock()
    const verifier = createTokenVerifier({ kinds: [kinds()[1]!], now: clock.now })
    const claims = { aud: AUDIENCE, sub: 'alice', iat: clock.seconds, exp: clock.seconds + 60 }
    const cases: Array<[string | null, TokenErrorCode]> = [
      [await sign(bearer, { ...claims, iss: ISSUERS.bearer, jti: 'j' }), 'TOKEN_KIND_MISMATCH'],
      [await sign(access, { ...claims, iss: ISSUERS.access }), 'TOKEN_ISSUER_NOT_TRUSTED'],
      [await sign(rsa, { ...claims, iss: IDP }), 'TOKEN_ISSUER_NOT_TRUSTED'],
      ['x.y.z', 'TOKEN_MALFORMED'],
      ['', 'TOKEN_MISSING'],
      [null, 'TOKEN_MISSING'],
      ['a'.repeat(9000), 'TOKEN_TOO_LARGE'],
    ]
    for (const [token, code] of cases) await refused(verifier.verify(token, 'external'), code)
    // A kind name that does not exist is a programming error.
    await expect(verifier.verify('x.y.z', 'nope' as ExpectedKinds)).rejects.toBeInstanceOf(
      TypeError,
    )
  })
})

describe('token verification: the audience of the call (access tokens name their host)', () => {
  const hostKind = (): TokenKindConfig => ({
    kind: 'access',
    issuer: ISSUERS.access,
    audienceFromCall: true,
    algorithms: ['EdDSA'],
    keys: { jwks: jwksOf(access) },
  })

  it('AUTH-301 an access token for one host is refused for another; its own host accepts it', async () => {
    const clock = new TestClock()
    const verifier = createTokenVerifier({ kinds: [hostKind()], now: clock.now })
    const claims = (aud: unknown) => ({
      iss: ISSUERS.access,
      aud,
      sub: 'alice',
      iat: clock.seconds,
      exp: clock.seconds + 60,
    })
    const forA = await sign(access, claims(accessAudienceOf('orders')))
    const ok = await verifier.verify(forA, 'access', { audience: accessAudienceOf('orders') })
    expect(ok.claims.aud).toBe('portcullis:orders')
    for (const host of ['billing', 'orders ', 'Orders', 'orders.internal', 'order']) {
      await refused(
        verifier.verify(forA, 'access', { audience: accessAudienceOf(host) }),
        'TOKEN_AUDIENCE_INVALID',
      )
    }
    // The audience every access token had before it named its host, and lists naming another.
    for (const aud of ['portcullis', ['portcullis'], ['portcullis:billing'], 'portcullis:']) {
      const token = await sign(access, claims(aud))
      await refused(
        verifier.verify(token, 'access', { audience: accessAudienceOf('orders') }),
        'TOKEN_AUDIENCE_INVALID',
      )
    }
  })

  it('AUTH-302 a kind whose audience comes from the call refuses every token when the call names none', async () => {
    const clock = new TestClock()
    const verifier = createTokenVerifier({ kinds: [hostKind()], now: clock.now })
    const token = await sign(access, {
      iss: ISSUERS.access,
      aud: accessAudienceOf('orders'),
      sub: 'alice',
      iat: clock.seconds,
      exp: clock.seconds + 60,
    })
    await refused(verifier.verify(token, 'access'), 'TOKEN_AUDIENCE_INVALID')
    expect(() =>
      createTokenVerifier({ kinds: [{ ...hostKind(), audience: 'x' }], now: clock.now }),
    ).toThrow(TypeError)
  })

  it('AUTH-303 for a kind with a fixed audience the call can only narrow it, never widen it', async () => {
    const { verifier, claims } = setup()
    const token = await sign(access, claims('access', { aud: ['other', AUDIENCE] }))
    expect((await verifier.verify(token, 'access', { audience: AUDIENCE })).kind).toBe('access')
    await refused(verifier.verify(token, 'access', { audience: 'other' }), 'TOKEN_AUDIENCE_INVALID')
  })
})
