import { describe, expect, it } from 'vitest'
import { createTokenVerifier, ISSUERS, TokenError } from '../core/index.js'
import {
  jwksOf,
  sign,
  TestClock,
  TestJwksServer,
  testKey,
  unsigned,
} from '../core/tokens/testing.js'

// The core verifier, run by workerd itself: jose on workerd's WebCrypto, no Node APIs.
describe('token verification inside workerd', () => {
  it('AUTH-057 an EdDSA bearer token verifies in workerd; alg none is refused there', async () => {
    const key = await testKey('EdDSA', 'bearer-1')
    const clock = new TestClock()
    const verifier = createTokenVerifier({
      now: clock.now,
      kinds: [
        {
          kind: 'bearer',
          issuer: ISSUERS.bearer,
          audience: 'portcullis',
          algorithms: ['EdDSA'],
          keys: { jwks: jwksOf(key) },
        },
      ],
    })
    const claims = {
      iss: ISSUERS.bearer,
      aud: 'portcullis',
      sub: 'alice',
      iat: clock.seconds,
      exp: clock.seconds + 60,
    }
    const result = await verifier.verify(await sign(key, claims), 'bearer')
    expect(result).toMatchObject({ kind: 'bearer', kid: 'bearer-1', claims: { sub: 'alice' } })

    for (const alg of ['none', 'None', 'NONE']) {
      const error = await verifier
        .verify(unsigned({ alg, kid: 'bearer-1' }, claims), 'bearer')
        .catch((e: unknown) => e)
      expect(error).toBeInstanceOf(TokenError)
      expect((error as TokenError).code).toBe('TOKEN_ALGORITHM_NOT_ALLOWED')
    }
  })

  it('AUTH-058 in workerd, 100 concurrent unknown-kid lookups against a pinned URL share one fetch', async () => {
    const key = await testKey('ES256', 'idp-1')
    const idp = new TestJwksServer(jwksOf(key))
    const clock = new TestClock()
    const verifier = createTokenVerifier({
      now: clock.now,
      fetchJwks: idp.fetchJwks,
      kinds: [
        {
          kind: 'external',
          issuer: 'https://idp.example/',
          audience: 'api',
          algorithms: ['ES256'],
          keys: { url: 'https://idp.example/jwks' },
        },
      ],
    })
    const claims = {
      iss: 'https://idp.example/',
      aud: 'api',
      sub: 'alice',
      iat: clock.seconds,
      exp: clock.seconds + 60,
    }
    const tokens = await Promise.all(
      Array.from({ length: 100 }, (_, i) =>
        sign(key, claims, { kid: i === 0 ? 'idp-1' : `k-${i}` }),
      ),
    )
    const codes = await Promise.all(
      tokens.map((t) =>
        verifier.verify(t, 'external').then(
          () => 'ACCEPTED',
          (e: TokenError) => e.code,
        ),
      ),
    )
    expect(codes[0]).toBe('ACCEPTED')
    expect(new Set(codes.slice(1))).toEqual(new Set(['TOKEN_KEY_UNKNOWN']))
    expect(idp.calls).toHaveLength(1)
  })
})
