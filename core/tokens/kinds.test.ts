import { describe, expect, it } from 'vitest'
import { defineTokenKind, defineTokenKinds, type TokenKindConfig } from './kinds.js'

const jwks = { keys: [] }

function kind(over: Partial<TokenKindConfig> = {}): TokenKindConfig {
  return {
    kind: 'external',
    issuer: 'https://idp.example/',
    audience: 'api',
    algorithms: ['RS256'],
    keys: { url: 'https://idp.example/jwks' },
    ...over,
  }
}

describe('token kinds', () => {
  it('AUTH-049 a kind listing none or an HMAC algorithm is refused at start', () => {
    for (const alg of ['none', 'None', 'NONE', 'HS256', 'HS384', 'HS512', 'hs256']) {
      expect(() => defineTokenKind(kind({ algorithms: ['RS256', alg] }))).toThrow(TypeError)
      expect(() =>
        defineTokenKind(kind({ kind: 'bearer', algorithms: [alg], keys: { jwks } })),
      ).toThrow(TypeError)
    }
  })

  it('AUTH-050 internal kinds accept EdDSA only; external kinds only the asymmetric list', () => {
    for (const alg of ['RS256', 'ES256', 'PS256', 'Ed25519']) {
      expect(() =>
        defineTokenKind(kind({ kind: 'access', algorithms: [alg], keys: { jwks } })),
      ).toThrow(/not allowed/)
    }
    for (const alg of ['ES512', 'Ed25519', 'RSA-OAEP', 'ML-DSA-44', 'rs256', '']) {
      expect(() => defineTokenKind(kind({ algorithms: [alg] }))).toThrow(/not allowed/)
    }
    const ok = defineTokenKind(
      kind({
        algorithms: [
          'RS256',
          'RS384',
          'RS512',
          'PS256',
          'PS384',
          'PS512',
          'ES256',
          'ES384',
          'EdDSA',
        ],
      }),
    )
    expect(ok.algorithms).toHaveLength(9)
    expect(() => defineTokenKind(kind({ algorithms: [] }))).toThrow(/non-empty/)
  })

  it('AUTH-051 a kind without an audience, with a spaced issuer or two kinds with one issuer are refused', () => {
    for (const audience of ['', [], [''], [7 as unknown as string]]) {
      expect(() => defineTokenKind(kind({ audience }))).toThrow(/audience/)
    }
    expect(() => defineTokenKind(kind({ audience: undefined as unknown as string }))).toThrow(
      /audience/,
    )
    for (const issuer of ['', ' https://idp.example/', 'https://idp.example/ ', 'a\u0000b']) {
      expect(() => defineTokenKind(kind({ issuer }))).toThrow(/issuer/)
    }
    expect(() =>
      defineTokenKinds([kind(), kind({ kind: 'bearer', algorithms: ['EdDSA'] })]),
    ).toThrow(/twice/)
  })

  it('AUTH-052 a JWKS URL must be https (http only to loopback) and carry no credentials', () => {
    for (const url of [
      'http://idp.example/jwks',
      'ftp://idp.example/jwks',
      'file:///etc/jwks.json',
      'https://user:pw@idp.example/jwks',
      'https://idp.example/jwks#x',
      'not a url',
    ]) {
      expect(() => defineTokenKind(kind({ keys: { url } }))).toThrow(/keys\.url/)
    }
    for (const url of [
      'http://127.0.0.1:8080/jwks',
      'http://localhost/jwks',
      'https://idp.example/jwks',
    ]) {
      expect(defineTokenKind(kind({ keys: { url } })).keys).toEqual({ url: new URL(url).href })
    }
    expect(() => defineTokenKind(kind({ keys: { url: 'https://a/', jwks } as never }))).toThrow(
      /not both/,
    )
  })

  it('fills defaults and always requires iss, aud, exp, iat and sub', () => {
    const k = defineTokenKind(kind({ requiredClaims: ['email', 'exp'] }))
    expect(k).toMatchObject({
      clockSkewSeconds: 30,
      maxTokenBytes: 8192,
      maxLifetimeSeconds: 86400,
      audience: ['api'],
      types: ['jwt'],
    })
    expect(k.requiredClaims).toEqual(['iss', 'aud', 'exp', 'iat', 'sub', 'email'])
    expect(Object.isFrozen(k)).toBe(true)
    expect(
      defineTokenKind(kind({ kind: 'access', algorithms: ['EdDSA'], keys: { jwks } }))
        .maxLifetimeSeconds,
    ).toBe(900)
    expect(defineTokenKind(kind({ type: 'application/AT+JWT' })).types).toEqual(['jwt', 'at+jwt'])
  })

  it('refuses a large skew, a tiny or huge size limit and odd claim names', () => {
    expect(() => defineTokenKind(kind({ clockSkewSeconds: 301 }))).toThrow(/clockSkewSeconds/)
    expect(() => defineTokenKind(kind({ clockSkewSeconds: -1 }))).toThrow(/clockSkewSeconds/)
    expect(() => defineTokenKind(kind({ maxTokenBytes: 100 }))).toThrow(/maxTokenBytes/)
    expect(() => defineTokenKind(kind({ maxTokenBytes: 1e6 }))).toThrow(/maxTokenBytes/)
    expect(() => defineTokenKind(kind({ maxLifetimeSeconds: 0 }))).toThrow(/maxLifetimeSeconds/)
    expect(() => defineTokenKind(kind({ requiredClaims: ['roles || 1'] }))).toThrow(
      /requiredClaims/,
    )
  })
})
