import { beforeAll, describe, expect, it } from 'vitest'
import { parseJwks } from './jwks.js'
import { KEYSET_DEFAULTS } from './constants.js'
import { PinnedKeySet, type PinnedKeySetOptions } from './keyset.js'
import { TokenError } from './errors.js'
import { jwksOf, sign, TestClock, TestJwksServer, testKey, type TestKey } from './testing.js'
import { createTokenVerifier } from './verify.js'

const ISS = 'https://idp.example/'
const URL_ = 'https://idp.example/jwks'

let k1: TestKey
let k2: TestKey
let rsa: TestKey
let attacker: TestKey

beforeAll(async () => {
  ;[k1, k2, rsa, attacker] = await Promise.all([
    testKey('ES256', 'k1'),
    testKey('EdDSA', 'k2'),
    testKey('RS256', 'rsa-1'),
    testKey('EdDSA', 'attacker'),
  ])
})

function remoteSet(jwks: unknown, options: Partial<PinnedKeySetOptions> = {}) {
  const clock = new TestClock()
  const idp = new TestJwksServer(jwksOf())
  idp.jwks = jwks
  const set = new PinnedKeySet({ now: clock.now, fetchJwks: idp.fetchJwks, ...options })
  set.pin(ISS, { url: URL_ })
  return { clock, idp, set }
}

function idpVerifier(jwks: unknown) {
  const clock = new TestClock()
  const idp = new TestJwksServer(jwks)
  const verifier = createTokenVerifier({
    now: clock.now,
    fetchJwks: idp.fetchJwks,
    kinds: [
      {
        kind: 'external',
        issuer: ISS,
        audience: 'api',
        algorithms: ['ES256', 'EdDSA', 'RS256'],
        keys: { url: URL_ },
      },
    ],
  })
  const token = (key: TestKey, kid = key.kid) =>
    sign(
      key,
      { iss: ISS, aud: 'api', sub: 'alice', iat: clock.seconds, exp: clock.seconds + 300 },
      { kid },
    )
  return { clock, idp, verifier, token }
}

async function code(p: Promise<unknown>): Promise<string> {
  return p.then(
    () => 'ACCEPTED',
    (e: unknown) => (e instanceof TokenError ? e.code : `not a TokenError: ${String(e)}`),
  )
}

const randomKid = () => `kid-${crypto.randomUUID()}`

describe('pinned key set: floods and single flight', () => {
  it('AUTH-037 an unknown-kid flood (1,000 tokens with random kids) causes exactly one JWKS fetch per cooldown', async () => {
    const { clock, idp, verifier, token } = idpVerifier(jwksOf(k1))
    expect(await code(verifier.verify(await token(k1), 'external'))).toBe('ACCEPTED')
    expect(idp.calls).toHaveLength(1)

    clock.advance(KEYSET_DEFAULTS.cooldownSeconds + 1)
    const flood = await Promise.all(
      Array.from({ length: 1000 }, () => token(attacker, randomKid())),
    )
    const firstHalf = await Promise.all(
      flood.slice(0, 500).map((t) => code(verifier.verify(t, 'external'))),
    )
    const secondHalf: string[] = []
    for (const t of flood.slice(500)) secondHalf.push(await code(verifier.verify(t, 'external')))
    expect(new Set([...firstHalf, ...secondHalf])).toEqual(new Set(['TOKEN_KEY_UNKNOWN']))
    expect(idp.calls).toHaveLength(2)

    clock.advance(KEYSET_DEFAULTS.cooldownSeconds - 1)
    for (const t of flood.slice(0, 100)) await verifier.verify(t, 'external').catch(() => {})
    await verifier.verify(await token(attacker, randomKid()), 'external').catch(() => {})
    expect(idp.calls).toHaveLength(2)
    // The known key is still served from the cache throughout.
    expect(await code(verifier.verify(await token(k1), 'external'))).toBe('ACCEPTED')
    expect(idp.calls).toHaveLength(2)

    clock.advance(2)
    await verifier.verify(await token(attacker, randomKid()), 'external').catch(() => {})
    expect(idp.calls).toHaveLength(3)
  })

  it('AUTH-038 single flight: 100 concurrent unknown-kid lookups share one fetch', async () => {
    const { idp, set } = remoteSet(jwksOf(k1))
    idp.hold = true
    const lookups = Array.from({ length: 100 }, (_, i) => set.get(ISS, i % 2 ? randomKid() : 'k1'))
    await new Promise((r) => setTimeout(r, 10))
    expect(idp.calls).toHaveLength(1)
    idp.release()
    const keys = await Promise.all(lookups)
    expect(keys.filter((k) => k?.kid === 'k1')).toHaveLength(50)
    expect(keys.filter((k) => k === undefined)).toHaveLength(50)
    expect(idp.calls).toHaveLength(1)
  })

  it('AUTH-039 negative cache: a kid found unknown stays unknown without fetching until the next refresh', async () => {
    const { clock, idp, set } = remoteSet(jwksOf(k1))
    await set.get(ISS, 'k1')
    clock.advance(31)
    expect(await set.get(ISS, 'ghost')).toBeUndefined()
    expect(idp.calls).toHaveLength(2)
    clock.advance(31)
    expect(await set.get(ISS, 'ghost')).toBeUndefined()
    expect(idp.calls).toHaveLength(2)
    // A kid not seen before may refresh once the cooldown is over, and it clears the cache.
    idp.jwks = jwksOf(k1, k2)
    expect((await set.get(ISS, 'k2'))?.kid).toBe('k2')
    expect(idp.calls).toHaveLength(3)
  })

  it('AUTH-040 a refresh that never settles holds no lookup longer than the wait limit and is abandoned', async () => {
    const { clock, idp, set } = remoteSet(jwksOf(k1), { refreshWaitMs: 50 })
    await set.get(ISS, 'k1')
    idp.hold = true
    clock.advance(KEYSET_DEFAULTS.refreshSeconds + 1)
    const started = performance.now()
    expect((await set.get(ISS, 'k1'))?.kid).toBe('k1')
    expect(performance.now() - started).toBeLessThan(1000)
    expect(idp.calls).toHaveLength(2)
    // The held fetch never settles. Past the wait limit and the cooldown it is forgotten and a
    // new refresh runs.
    idp.hold = false
    idp.jwks = jwksOf(k1, k2)
    clock.advance(KEYSET_DEFAULTS.cooldownSeconds + 1)
    expect((await set.get(ISS, 'k2'))?.kid).toBe('k2')
    expect(idp.calls).toHaveLength(3)
    expect(set.status(ISS)?.failures).toBe(1)
  })
})

describe('pinned key set: rotation and outages', () => {
  it('AUTH-041 key rotation: current and previous kid both verify; a removed kid fails after the refresh', async () => {
    const { clock, idp, verifier, token } = idpVerifier(jwksOf(k1))
    expect(await code(verifier.verify(await token(k1), 'external'))).toBe('ACCEPTED')

    idp.jwks = jwksOf(k2, k1)
    clock.advance(KEYSET_DEFAULTS.cooldownSeconds + 1)
    expect(await code(verifier.verify(await token(k2), 'external'))).toBe('ACCEPTED')
    expect(await code(verifier.verify(await token(k1), 'external'))).toBe('ACCEPTED')
    expect(idp.calls).toHaveLength(2)

    idp.jwks = jwksOf(k2)
    clock.advance(KEYSET_DEFAULTS.refreshSeconds)
    expect(await code(verifier.verify(await token(k1), 'external'))).toBe('TOKEN_KEY_UNKNOWN')
    expect(await code(verifier.verify(await token(k2), 'external'))).toBe('ACCEPTED')
    expect(idp.calls).toHaveLength(3)
  })

  it('AUTH-042 IdP down: stale keys keep working until their max age, then TOKEN_KEY_UNKNOWN; recovery after', async () => {
    const { clock, idp, verifier, token } = idpVerifier(jwksOf(k1))
    expect(await code(verifier.verify(await token(k1), 'external'))).toBe('ACCEPTED')
    idp.down = true

    clock.advance(KEYSET_DEFAULTS.refreshSeconds + 1)
    expect(await code(verifier.verify(await token(k1), 'external'))).toBe('ACCEPTED')
    expect(verifier.keys.status(ISS)).toMatchObject({ fetches: 2, failures: 1, kids: ['k1'] })

    clock.advance(KEYSET_DEFAULTS.maxStaleSeconds - KEYSET_DEFAULTS.refreshSeconds - 2)
    expect(await code(verifier.verify(await token(k1), 'external'))).toBe('ACCEPTED')

    clock.advance(2)
    expect(await code(verifier.verify(await token(k1), 'external'))).toBe('TOKEN_KEY_UNKNOWN')
    expect(verifier.keys.status(ISS)?.kids).toEqual([])

    idp.down = false
    clock.advance(KEYSET_DEFAULTS.cooldownSeconds)
    expect(await code(verifier.verify(await token(k1), 'external'))).toBe('ACCEPTED')
  })

  it('AUTH-043 IdP down from the start: at most one fetch per cooldown, every token TOKEN_KEY_UNKNOWN', async () => {
    const { clock, idp, verifier, token } = idpVerifier(jwksOf(k1))
    idp.down = true
    for (let i = 0; i < 20; i++) {
      expect(await code(verifier.verify(await token(k1), 'external'))).toBe('TOKEN_KEY_UNKNOWN')
    }
    expect(idp.calls).toHaveLength(1)
    clock.advance(KEYSET_DEFAULTS.cooldownSeconds)
    await verifier.verify(await token(k1), 'external').catch(() => {})
    expect(idp.calls).toHaveLength(2)
  })

  it('AUTH-044 a refused JWKS document on refresh (private key inside) keeps the last good keys', async () => {
    const { clock, idp, set } = remoteSet(jwksOf(k1))
    await set.get(ISS, 'k1')
    idp.jwks = { keys: [{ ...k2.jwk, d: 'c2VjcmV0' }] }
    clock.advance(KEYSET_DEFAULTS.refreshSeconds + 1)
    expect((await set.get(ISS, 'k1'))?.kid).toBe('k1')
    expect(set.status(ISS)).toMatchObject({
      failures: 1,
      lastError: 'jwks: private key material refused',
    })
  })

  it('a static JWKS is never fetched and serves only its issuer', async () => {
    const clock = new TestClock()
    const idp = new TestJwksServer(jwksOf())
    const set = new PinnedKeySet({ now: clock.now, fetchJwks: idp.fetchJwks })
    set.pin('access.token.core', { jwks: jwksOf(k2) })
    expect((await set.get('access.token.core', 'k2'))?.kid).toBe('k2')
    expect(await set.get('bearer.token.core', 'k2')).toBeUndefined()
    expect(await set.get('access.token.core', 'nope')).toBeUndefined()
    expect(idp.calls).toEqual([])
    expect(() => set.pin('access.token.core', { jwks: jwksOf(k2) })).toThrow(/twice/)
  })

  it('imports a key once per algorithm and refuses an algorithm it does not fit', async () => {
    const { set } = remoteSet(jwksOf(k1))
    const key = (await set.get(ISS, 'k1'))!
    const [a, b] = await Promise.all([key.cryptoKey('ES256'), key.cryptoKey('ES256')])
    expect(a).toBe(b)
    await expect(key.cryptoKey('RS256')).rejects.toThrow(TypeError)
  })
})

describe('JWKS documents', () => {
  it('AUTH-045 private or symmetric key material in a JWKS is refused', () => {
    for (const m of ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth']) {
      expect(() => parseJwks({ keys: [{ ...rsa.jwk, [m]: 'AQAB' }] })).toThrow(/private/)
    }
    expect(() => parseJwks({ keys: [{ kty: 'oct', kid: 'h', k: 'c2VjcmV0' }] })).toThrow(
      /symmetric/,
    )
    expect(() =>
      createTokenVerifier({
        now: () => 0,
        kinds: [
          {
            kind: 'access',
            issuer: 'access.token.core',
            audience: 'a',
            algorithms: ['EdDSA'],
            keys: { jwks: { keys: [{ ...k2.jwk, d: 'c2VjcmV0' }] } },
          },
        ],
      }),
    ).toThrow(/private key material/)
  })

  it('AUTH-046 an oversize JWKS, an oversize key or too many keys is refused', () => {
    const many = { keys: Array.from({ length: 33 }, (_, i) => ({ ...k2.jwk, kid: `k${i}` })) }
    expect(() => parseJwks(many)).toThrow(/too many/)
    expect(parseJwks(many, { maxKeys: 40 })).toHaveLength(33)
    expect(() => parseJwks({ keys: [{ ...k2.jwk, pad: 'x'.repeat(9000) }] })).toThrow(/too large/)
    expect(() => parseJwks(JSON.stringify({ keys: [], pad: 'x'.repeat(70_000) }))).toThrow(
      /too large/,
    )
    expect(() => parseJwks({ keys: [], pad: 'x'.repeat(70_000) })).toThrow(/too large/)
  })

  it('AUTH-047 keys not for signing (use enc, key_ops without verify) or of unusable types are skipped', () => {
    const keys = parseJwks({
      keys: [
        { ...rsa.jwk, kid: 'enc', use: 'enc' },
        { ...rsa.jwk, kid: 'ops', use: undefined, key_ops: ['encrypt'] },
        { ...rsa.jwk, kid: 'oaep', use: undefined, alg: 'RSA-OAEP' },
        { ...rsa.jwk, kid: 'hs', alg: 'HS256' },
        { ...k1.jwk, kid: 'p521', crv: 'P-521' },
        { ...k2.jwk, kid: 'x25519', crv: 'X25519' },
        { ...k2.jwk, kid: 'mismatch', alg: 'ES256' },
        { ...k2.jwk, kid: '../../etc/passwd' },
        { ...k2.jwk, kid: undefined },
        rsa.jwk,
        { ...k1.jwk, use: undefined, alg: undefined, key_ops: ['verify'] },
      ],
    })
    expect(keys.map((k) => k.kid)).toEqual(['rsa-1', 'k1'])
    expect(keys[1]!.alg).toBeUndefined()
    expect(Object.keys(keys[0]!.jwk).sort()).toEqual(['e', 'kty', 'n'])
  })

  it('AUTH-048 a JWKS repeating a kid, or with duplicate JSON members, is refused', () => {
    expect(() => parseJwks({ keys: [k1.jwk, { ...k2.jwk, kid: 'k1' }] })).toThrow(/twice/)
    const text = JSON.stringify(jwksOf(k1)).replace('"kid":"k1"', '"kid":"k1","kid":"k2"')
    expect(() => parseJwks(text)).toThrow(/strict JSON/)
    expect(() => parseJwks({ nokeys: [] })).toThrow(/no keys/)
    expect(() => parseJwks('not json')).toThrow(/strict JSON/)
  })

  it('reads a JWKS given as text or as parsed JSON alike', () => {
    const jwks = jwksOf(k1, k2, rsa)
    expect(parseJwks(JSON.stringify(jwks))).toEqual(parseJwks(jwks))
  })
})
