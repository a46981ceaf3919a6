import { describe, expect, it } from 'vitest'
import { accessClaims } from '../access/mint.js'
import { bearerClaims } from './bearer.js'
import { extraClaims, lifetimeOf } from './claims.js'
import { RESERVED_CLAIMS } from './constants.js'

const NOW = 1_750_000_000

describe('token shapes', () => {
  it('a bearer token carries exactly iss, aud, sub, roles, iat, exp, jti and the extra claims', () => {
    expect(
      bearerClaims({ sub: 'alice', roles: ['orders'], claims: { tenant: 'acme' } }, NOW, 'J'),
    ).toStrictEqual({
      tenant: 'acme',
      iss: 'bearer.token.core',
      aud: 'portcullis',
      sub: 'alice',
      roles: ['orders'],
      iat: NOW,
      exp: NOW + 30 * 24 * 3600,
      jti: 'J',
    })
  })

  it('a bearer token from the token exchange names its identity provider as idp', () => {
    const payload = bearerClaims({ sub: 'corp:alice', idp: 'corp', claims: { idp: 'x' } }, NOW)
    expect(payload.idp).toBe('corp')
    expect(() => bearerClaims({ sub: 'a', idp: ' corp' }, NOW)).toThrow(/idp must be/)
  })

  it('an access token carries exactly iss, aud, sub, idp, iat, exp, jti and the extra claims', () => {
    expect(
      accessClaims({ sub: 'alice', aud: 'demo', idp: 'bearer.token.core' }, NOW, 'J'),
    ).toStrictEqual({
      iss: 'access.token.core',
      aud: 'demo',
      sub: 'alice',
      idp: 'bearer.token.core',
      iat: NOW,
      exp: NOW + 60,
      jti: 'J',
    })
  })

  it('lifetimes: default when none is asked, whole seconds, clamped to the cap', () => {
    const policy = { defaultTtlSeconds: 60, maxTtlSeconds: 900 }
    expect(lifetimeOf(undefined, policy)).toBe(60)
    expect(lifetimeOf(1.9, policy)).toBe(1)
    expect(lifetimeOf(10_000, policy)).toBe(900)
    expect(() => lifetimeOf(0.5, policy)).toThrow('MINT_REQUEST_INVALID')
  })

  it('TOKEN-009 a __proto__ member in the caller claims neither becomes a claim nor changes the payload prototype', () => {
    const claims = JSON.parse('{"__proto__": {"admin": true}, "tenant": "acme"}') as Record<
      string,
      unknown
    >
    const out = extraClaims(claims, RESERVED_CLAIMS)
    expect(Object.getPrototypeOf(out)).toBe(Object.prototype)
    expect(JSON.stringify(out)).toBe('{"tenant":"acme"}')
    expect(({} as Record<string, unknown>).admin).toBeUndefined()
    const payload = bearerClaims({ sub: 'alice', claims }, NOW)
    expect(Object.keys(payload)).not.toContain('__proto__')
    expect((payload as { admin?: unknown }).admin).toBeUndefined()
  })
})

describe('a token minted for another token ends with it', () => {
  it('IDP-603 notAfter caps exp below the ttl; a notAfter already reached or not a time is refused', () => {
    const ask = { sub: 'alice', aud: 'portcullis:demo', idp: 'bearer', ttlSeconds: 900 }
    expect(accessClaims({ ...ask, notAfter: NOW + 2 }, NOW).exp).toBe(NOW + 2)
    expect(accessClaims({ ...ask, notAfter: NOW + 2.9 }, NOW).exp).toBe(NOW + 2)
    expect(accessClaims({ ...ask, notAfter: NOW + 5000 }, NOW).exp).toBe(NOW + 900)
    expect(bearerClaims({ sub: 'corp:alice', notAfter: NOW + 30 }, NOW).exp).toBe(NOW + 30)
    for (const notAfter of [NOW, NOW - 1, NOW + 0.5, Number.NaN, Infinity, '2000000000', null]) {
      expect(() => accessClaims({ ...ask, notAfter: notAfter as number }, NOW)).toThrow(
        /MINT_REQUEST_INVALID: notAfter/,
      )
      expect(() => bearerClaims({ sub: 'a', notAfter: notAfter as number }, NOW)).toThrow(
        /MINT_REQUEST_INVALID: notAfter/,
      )
    }
  })
})
