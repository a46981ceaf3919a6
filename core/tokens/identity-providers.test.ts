import { describe, expect, it } from 'vitest'
import {
  mapExternalIdentity,
  readIdentityProviders,
  type IdentityProviderConfig,
} from './identity-providers.js'

const base: IdentityProviderConfig = {
  issuer: 'https://login.corp.test/',
  audience: 'portcullis-api',
  algorithms: ['RS256'],
  jwksUrl: 'https://login.corp.test/jwks',
}

const one = (config: Partial<IdentityProviderConfig> & Record<string, unknown>, name = 'corp') =>
  readIdentityProviders({ [name]: { ...base, ...config } })[0]!

describe('identity provider config', () => {
  it('reads a provider with its defaults', () => {
    const p = one({})
    expect(p).toMatchObject({
      name: 'corp',
      issuer: 'https://login.corp.test/',
      audience: ['portcullis-api'],
      algorithms: ['RS256'],
      subjectPrefix: 'corp:',
      exchangeTtlSeconds: 3600,
      claims: [],
    })
  })

  it.each<[string, Record<string, unknown>, string | RegExp, string?]>([
    ['IDP-301 alg none', { algorithms: ['none'] }, /none is never allowed/],
    ['IDP-302 HMAC', { algorithms: ['RS256', 'HS256'] }, /HMAC/],
    ['IDP-303 an unknown algorithm', { algorithms: ['RS1'] }, /not allowed/],
    [
      'IDP-304 a JWKS over plain http to a remote host',
      { jwksUrl: 'http://login.corp.test/jwks' },
      /https/,
    ],
    [
      'IDP-305 a JWKS URL with credentials',
      { jwksUrl: 'https://u:p@login.corp.test/jwks' },
      /credentials/,
    ],
    ['IDP-306 no audience', { audience: [] }, /audience/],
    ['IDP-307 the gateway’s own issuer', { issuer: 'bearer.token.core' }, /own issuers/],
    ['IDP-308 a mapping onto a reserved claim', { claims: { sub: 'email' } }, /reserved/],
    [
      'IDP-309 a mapping onto roles outside the role map',
      { claims: { roles: 'groups' } },
      /reserved/,
    ],
    [
      'IDP-310 a claim path that is not plain names',
      { claims: { email: 'a..b' } },
      /dotted claim path/,
    ],
    [
      'IDP-311 a role map onto a name a rule cannot spell',
      { roles: { claim: 'g', map: { x: 'a b' } } },
      /role name/,
    ],
    [
      'IDP-312 a subject prefix with control characters',
      { subjectPrefix: 'a\u0000' },
      /subjectPrefix/,
    ],
    ['IDP-313 a provider named bearer', {}, /not bearer or access/, 'bearer'],
  ])('%s is refused at start', (_, config, message, name) => {
    expect(() => one(config, name)).toThrow(message)
  })

  it('IDP-314 two providers with one issuer are refused', () => {
    expect(() => readIdentityProviders({ a: base, b: base })).toThrow(/used by another provider/)
  })
})

describe('mapping an external identity', () => {
  const p = one({
    roles: { claim: 'realm.roles', map: { 'gw-admin': 'admin', 'gw-orders': 'orders' } },
    claims: { email: 'email', tenant: 'org.id', level: 'level' },
  })

  it('maps sub under the prefix, roles through the map, named claims by path', () => {
    const out = mapExternalIdentity(p, {
      sub: 'alice',
      realm: { roles: ['gw-orders', 'gw-admin', 'other'] },
      email: 'alice@corp.test',
      org: { id: 'acme' },
      level: 7,
    })
    expect(out).toEqual({
      sub: 'corp:alice',
      idp: 'corp',
      roles: ['orders', 'admin'],
      claims: { email: 'alice@corp.test', tenant: 'acme', level: 7 },
    })
  })

  it('IDP-315 claims the mapping does not name are never carried', () => {
    const out = mapExternalIdentity(p, { sub: 'a', roles: ['admin'], idp: 'bearer', admin: true })
    expect(out.roles).toEqual([])
    expect(out.idp).toBe('corp')
    expect(out.claims).toEqual({})
  })

  it('IDP-316 a claim path never reads through the prototype', () => {
    const q = one({ claims: { x: '__proto__.polluted', y: 'constructor.name', z: 'toString' } })
    const claims = JSON.parse('{"sub":"a","__proto__":{"polluted":1}}') as Record<string, unknown>
    expect(mapExternalIdentity(q, claims).claims).toEqual({ x: 1 })
    expect(mapExternalIdentity(q, { sub: 'a' }).claims).toEqual({})
  })

  it('IDP-317 long text, long lists and objects over the limits are left out whole', () => {
    const out = mapExternalIdentity(p, {
      sub: 'a',
      email: 'x'.repeat(300),
      org: { id: { a: { b: { c: { d: { e: true } } } } } },
      level: Array.from({ length: 100 }, () => 1),
    })
    expect(out.claims).toEqual({})
  })

  it('takes roles from a space-separated string as OAuth scope is written', () => {
    const q = one({ roles: { claim: 'scope' } })
    expect(mapExternalIdentity(q, { sub: 'a', scope: 'orders admin bad/role' }).roles).toEqual([
      'orders',
      'admin',
    ])
  })

  it.each([[''], [' alice'], ['a\u0000b'], [42], ['x'.repeat(300)]])(
    'IDP-318 a subject that cannot be mapped (%j) is TOKEN_MALFORMED',
    (sub) => {
      expect(() => mapExternalIdentity(p, { sub })).toThrow(
        expect.objectContaining({ code: 'TOKEN_MALFORMED' }),
      )
    },
  )
})
