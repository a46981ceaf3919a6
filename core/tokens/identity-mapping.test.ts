/**
 * The identity-provider mapping keeps JSON types, so the claim rules (core/claims), strict
 * about types, judge what the provider said: no stringification, no coercion of "true",
 * roles only as strings, nested objects copied within the limits and otherwise left out whole.
 */
import { describe, expect, it } from 'vitest'
import { compileClaims } from '../claims/index.js'
import {
  IDENTITY_PROVIDER_LIMITS,
  mapExternalIdentity,
  readIdentityProviders,
  type IdentityProviderConfig,
} from './identity-providers.js'

const provider = (config: Partial<IdentityProviderConfig> = {}) =>
  readIdentityProviders({
    corp: {
      issuer: 'https://login.corp.test/',
      audience: 'portcullis-api',
      algorithms: ['RS256'],
      jwksUrl: 'https://login.corp.test/jwks',
      roles: { claim: 'groups' },
      claims: {
        email_verified: 'email_verified',
        mfa: 'amr_mfa',
        level: 'level',
        org: 'org',
        emails: 'emails',
        tenant: 'org.id',
      },
      ...config,
    },
  })[0]!

/** The claims a rule sees at the edge for a mapped external identity. */
const seen = (claims: Record<string, unknown>) => {
  const m = mapExternalIdentity(provider(), { sub: 'alice', ...claims })
  return { ...m.claims, roles: m.roles, sub: m.sub, idp: m.idp }
}

describe('identity-provider mapping keeps types', () => {
  it('CLAIM-120 a mapped claim keeps its JSON type: no stringification, no coercion', () => {
    const out = mapExternalIdentity(provider(), {
      sub: 'alice',
      email_verified: 'false',
      amr_mfa: 0,
      level: '9',
      org: { id: 42, admin: 'true', tags: ['eu', 1, true, null] },
      emails: ['a@corp.test', 7],
    })
    expect(out.claims).toStrictEqual({
      email_verified: 'false',
      mfa: 0,
      level: '9',
      org: { id: 42, admin: 'true', tags: ['eu', 1, true, null] },
      emails: ['a@corp.test', 7],
      tenant: 42,
    })
    const booleans = mapExternalIdentity(provider(), { sub: 'a', email_verified: true }).claims
    expect(booleans.email_verified).toBe(true)
    expect(mapExternalIdentity(provider(), { sub: 'a', level: 9.5 }).claims.level).toBe(9.5)
  })

  it('CLAIM-121 rules over mapped claims of the wrong type do not pass, nor negated', () => {
    const claims = seen({
      email_verified: 'false',
      amr_mfa: '0',
      level: '9',
      org: { admin: 'true', groups: ['admin'] },
      groups: ['orders'],
    })
    for (const rule of [
      'email_verified',
      '!email_verified',
      'mfa',
      '!mfa',
      'level > 5',
      '!(level > 5)',
      'level == 9',
      'org.admin',
      'org.admin == true',
      'org.groups.admin',
      "org.groups == 'admin'",
    ]) {
      expect(compileClaims(rule)(claims), rule).toBe(false)
    }
    expect(compileClaims("any(org.groups) == 'admin'")(claims)).toBe(true)
    expect(compileClaims("level == '9' && roles.orders")(claims)).toBe(true)
  })

  it('CLAIM-122 roles stay strings: members that are not role names are dropped', () => {
    const roles = (groups: unknown) => mapExternalIdentity(provider(), { sub: 'a', groups }).roles
    expect(roles(['orders', 1, true, null, { admin: true }, ['admin'], 'admin'])).toEqual([
      'orders',
      'admin',
    ])
    expect(roles(['true', 'bad role', 'x'.repeat(65)])).toEqual(['true'])
    expect(roles(true)).toEqual([])
    expect(roles(7)).toEqual([])
    expect(roles({ admin: true })).toEqual([])
    const mapped = provider({ roles: { claim: 'groups', map: { 'gw-admin': 'admin' } } })
    expect(mapExternalIdentity(mapped, { sub: 'a', groups: ['gw-admin', 1] }).roles).toEqual([
      'admin',
    ])
    // A role is a string in the claims a rule sees, so roles.<name> is exact membership.
    expect(compileClaims('roles.admin')(seen({ groups: [['admin'], { admin: 1 }] }))).toBe(false)
  })

  it('CLAIM-123 nested objects are copied within the limits, and left out whole beyond them', () => {
    const L = IDENTITY_PROVIDER_LIMITS
    const nest = (levels: number): unknown => (levels === 0 ? 'x' : { n: nest(levels - 1) })
    const org = (value: unknown) =>
      mapExternalIdentity(provider(), { sub: 'a', org: value }).claims.org
    expect(org(nest(L.maxClaimDepth))).toEqual(nest(L.maxClaimDepth))
    expect(org(nest(L.maxClaimDepth + 1))).toBeUndefined()
    const wide = (n: number) =>
      Object.fromEntries(Array.from({ length: n }, (_, i) => [`k${i}`, i]))
    expect(org(wide(L.maxObjectKeys))).toEqual(wide(L.maxObjectKeys))
    expect(org(wide(L.maxObjectKeys + 1))).toBeUndefined()
    // A member over a limit leaves the whole claim out: never a list or object missing a part.
    expect(org({ id: 'acme', note: 'x'.repeat(L.maxStringLength + 1) })).toBeUndefined()
    expect(org({ id: 'acme', list: Array(L.maxArrayItems + 1).fill(1) })).toBeUndefined()
    expect(org({ [`k${'x'.repeat(L.maxStringLength)}`]: 1 })).toBeUndefined()
    const many = Array.from({ length: 8 }, () => Array(40).fill(1))
    expect(many.flat().length).toBeGreaterThan(L.maxClaimValues)
    expect(org({ many })).toBeUndefined()
    // Only JSON: a value no JSON document can carry is not copied.
    expect(org({ n: Number.NaN })).toBeUndefined()
    expect(org({ d: new Date(0) })).toBeUndefined()
  })

  it('CLAIM-124 a mapped object never carries prototype keys, and copying changes nothing', () => {
    const token = JSON.parse(
      '{"sub":"a","org":{"__proto__":{"admin":true},"constructor":{"x":1},"id":"acme"}}',
    ) as Record<string, unknown>
    const before = JSON.stringify(token)
    const out = mapExternalIdentity(provider(), token).claims.org as Record<string, unknown>
    expect(out).toStrictEqual({ id: 'acme' })
    expect(Object.getPrototypeOf(out)).toBe(Object.prototype)
    expect((out as { admin?: unknown }).admin).toBeUndefined()
    expect(JSON.stringify(token)).toBe(before)
    // The copy is a copy: changing it leaves the token's claims as they were.
    ;(out as { id: string }).id = 'other'
    expect(JSON.stringify(token)).toBe(before)
  })
})
