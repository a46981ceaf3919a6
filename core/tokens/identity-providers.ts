/**
 * External identity providers as data: which issuer, audience, algorithms and pinned JWKS
 * URL a provider's tokens must have, and how its claims map into the gateway's own
 * (`sub` under a prefix, `roles` through an allow-list, named claims copied by path). The
 * config, the edge policy and the edge's verifier all read providers through
 * `readIdentityProviders`, which throws a `TypeError` naming the provider and field.
 */
import {
  BEARER_RESERVED_CLAIMS,
  ISSUERS,
  ROLE_NAME_PATTERN,
  type TokenAlgorithm,
} from './constants.js'
import { defineTokenKind, type TokenKindConfig } from './kinds.js'
import { TokenError } from './errors.js'
import { isObject } from '../util/index.js'

export interface IdentityProviderConfig {
  /** Compared exactly with the token's `iss`. */
  issuer: string
  /** A token must name at least one of these in `aud`. */
  audience: string | string[]
  /** Asymmetric algorithms only; `none` and HMAC are refused at start. */
  algorithms: string[]
  /** The pinned key set: https, or http to a loopback host. Never taken from a token. */
  jwksUrl: string
  /** Put before the provider's `sub`; default `<name>:`, so subjects of two issuers never meet. */
  subjectPrefix?: string
  /** Where the provider keeps roles, and (optionally) which of its values become which role. */
  roles?: { claim: string; map?: Record<string, string> }
  /** Internal claim name -> the provider's claim path (`email`, `org.id`). */
  claims?: Record<string, string>
  /** Longest `exp - iat` accepted from this provider. */
  maxLifetimeSeconds?: number
  /** Lifetime of a bearer token issued for this provider's token by `POST /oauth2/token`. */
  exchangeTtlSeconds?: number
}

export interface IdentityProvider {
  readonly name: string
  readonly issuer: string
  readonly audience: readonly string[]
  readonly algorithms: readonly TokenAlgorithm[]
  readonly jwksUrl: string
  readonly subjectPrefix: string
  readonly roles?: { readonly path: readonly string[]; readonly map?: ReadonlyMap<string, string> }
  readonly claims: ReadonlyArray<readonly [name: string, path: readonly string[]]>
  readonly maxLifetimeSeconds?: number
  readonly exchangeTtlSeconds: number
}

/** The identity an external token stands for, in the gateway's own terms. */
export interface MappedIdentity {
  sub: string
  idp: string
  roles: string[]
  claims: Record<string, unknown>
}

export const IDENTITY_PROVIDER_DEFAULTS = {
  exchangeTtlSeconds: 3600,
} as const

export const IDENTITY_PROVIDER_LIMITS = {
  maxProviders: 16,
  maxExchangeTtlSeconds: 30 * 24 * 3600,
  maxSubjectLength: 256,
  maxRoles: 64,
  maxMappedClaims: 32,
  maxPathSegments: 8,
  maxStringLength: 256,
  maxArrayItems: 64,
  /** A mapped claim: members of an object, nesting of lists and objects, values in all. */
  maxObjectKeys: 32,
  maxClaimDepth: 4,
  maxClaimValues: 256,
} as const

/** A provider's name: also its `idp` claim, so `bearer` (the gateway's own) is taken. */
const PROVIDER_NAME = /^[a-z0-9][a-z0-9-]{0,62}$/
const RESERVED_PROVIDER_NAMES = new Set(['bearer', 'access'])
const PATH_SEGMENT = /^[A-Za-z0-9_:-]{1,64}$/
/** Claims the gateway stamps itself; a mapping can never set them. */
const RESERVED_CLAIMS: ReadonlySet<string> = new Set(BEARER_RESERVED_CLAIMS)
const INTERNAL_CLAIM = /^[A-Za-z][A-Za-z0-9_]{0,63}$/
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/

function fail(name: string, what: string): never {
  throw new TypeError(`identity provider ${name}: ${what}`)
}

function pathOf(name: string, field: string, value: unknown): string[] {
  if (typeof value !== 'string') fail(name, `${field} must be a claim path`)
  const path = value.split('.')
  if (
    path.length > IDENTITY_PROVIDER_LIMITS.maxPathSegments ||
    !path.every((s) => PATH_SEGMENT.test(s))
  ) {
    fail(name, `${field} must be a dotted claim path of plain names`)
  }
  return path
}

function rolesOf(name: string, value: unknown): IdentityProvider['roles'] {
  if (value === undefined) return undefined
  if (!isObject(value)) fail(name, 'roles must be { claim, map? }')
  const unknown = Object.keys(value).find((k) => k !== 'claim' && k !== 'map')
  if (unknown) fail(name, `roles.${unknown} is not a known field`)
  const path = pathOf(name, 'roles.claim', value.claim)
  if (value.map === undefined) return { path }
  if (!isObject(value.map)) fail(name, 'roles.map must map provider values to role names')
  const map = new Map<string, string>()
  for (const [from, to] of Object.entries(value.map)) {
    if (typeof to !== 'string' || !ROLE_NAME_PATTERN.test(to)) {
      fail(name, `roles.map.${from} must be a role name (letters, digits, _ or -)`)
    }
    map.set(from, to)
  }
  return { path, map }
}

function claimsOf(name: string, value: unknown): IdentityProvider['claims'] {
  if (value === undefined) return []
  if (!isObject(value)) fail(name, 'claims must map internal claim names to claim paths')
  const entries = Object.entries(value)
  if (entries.length > IDENTITY_PROVIDER_LIMITS.maxMappedClaims) {
    fail(name, `claims maps at most ${IDENTITY_PROVIDER_LIMITS.maxMappedClaims} names`)
  }
  return entries.map(([internal, path]) => {
    if (!INTERNAL_CLAIM.test(internal) || RESERVED_CLAIMS.has(internal)) {
      fail(name, `claims.${internal} is reserved or not a plain claim name`)
    }
    return [internal, pathOf(name, `claims.${internal}`, path)] as const
  })
}

function readProvider(name: string, value: unknown, clockSkewSeconds: number): IdentityProvider {
  if (!PROVIDER_NAME.test(name) || RESERVED_PROVIDER_NAMES.has(name)) {
    fail(name, 'the name must be lowercase letters, digits and dashes, and not bearer or access')
  }
  if (!isObject(value)) fail(name, 'must be an object')
  const c = value as unknown as IdentityProviderConfig
  if (c.issuer === ISSUERS.access || c.issuer === ISSUERS.bearer) {
    fail(name, 'issuer must not be one of the gateway’s own issuers')
  }
  let kind
  try {
    kind = defineTokenKind(externalKindConfig(c, clockSkewSeconds))
  } catch (e) {
    const prefix = `token kind external:${String(c.issuer)}`
    const message = (e as Error).message
    fail(
      name,
      message.startsWith(prefix) ? message.slice(prefix.length).replace(/^:? /, '') : message,
    )
  }
  const prefix = c.subjectPrefix ?? `${name}:`
  if (typeof prefix !== 'string' || prefix.length > 64 || CONTROL.test(prefix)) {
    fail(name, 'subjectPrefix must be printable text of at most 64 characters')
  }
  const ttl = c.exchangeTtlSeconds ?? IDENTITY_PROVIDER_DEFAULTS.exchangeTtlSeconds
  if (
    !Number.isSafeInteger(ttl) ||
    ttl < 1 ||
    ttl > IDENTITY_PROVIDER_LIMITS.maxExchangeTtlSeconds
  ) {
    fail(name, 'exchangeTtlSeconds must be an integer from 1 to 30 days')
  }
  const roles = rolesOf(name, c.roles)
  return Object.freeze({
    name,
    issuer: kind.issuer,
    audience: kind.audience,
    algorithms: kind.algorithms,
    jwksUrl: (kind.keys as { url: string }).url,
    subjectPrefix: prefix,
    ...(roles && { roles }),
    claims: claimsOf(name, c.claims),
    ...(c.maxLifetimeSeconds !== undefined && { maxLifetimeSeconds: kind.maxLifetimeSeconds }),
    exchangeTtlSeconds: ttl,
  })
}

function externalKindConfig(c: IdentityProviderConfig, clockSkewSeconds: number): TokenKindConfig {
  return {
    kind: 'external',
    issuer: c.issuer,
    audience: c.audience,
    algorithms: c.algorithms,
    keys: { url: c.jwksUrl },
    clockSkewSeconds,
    ...(c.maxLifetimeSeconds !== undefined && { maxLifetimeSeconds: c.maxLifetimeSeconds }),
  }
}

/** Checks providers received as untyped configuration (name -> provider). */
export function readIdentityProviders(value: unknown, clockSkewSeconds = 30): IdentityProvider[] {
  if (value === undefined) return []
  if (!isObject(value)) throw new TypeError('identity providers: must map names to providers')
  const entries = Object.entries(value)
  if (entries.length > IDENTITY_PROVIDER_LIMITS.maxProviders) {
    throw new TypeError(`identity providers: at most ${IDENTITY_PROVIDER_LIMITS.maxProviders}`)
  }
  const providers = entries.map(([name, v]) => readProvider(name, v, clockSkewSeconds))
  const issuers = new Set<string>()
  for (const p of providers) {
    if (issuers.has(p.issuer)) fail(p.name, `issuer ${p.issuer} is used by another provider`)
    issuers.add(p.issuer)
  }
  return providers
}

/** The token kind the verifier checks a provider's tokens against. */
export function externalKindOf(p: IdentityProvider, clockSkewSeconds: number): TokenKindConfig {
  return {
    kind: 'external',
    issuer: p.issuer,
    audience: [...p.audience],
    algorithms: [...p.algorithms],
    keys: { url: p.jwksUrl },
    clockSkewSeconds,
    ...(p.maxLifetimeSeconds !== undefined && { maxLifetimeSeconds: p.maxLifetimeSeconds }),
  }
}

/** Reads a claim path through own properties only, so `__proto__` or `constructor` find nothing. */
function at(claims: Record<string, unknown>, path: readonly string[]): unknown {
  let node: unknown = claims
  for (const segment of path) {
    if (!isObject(node) || !Object.hasOwn(node, segment)) return undefined
    node = node[segment]
  }
  return node
}

function isPlain(value: object): boolean {
  const proto = Object.getPrototypeOf(value) as unknown
  return proto === Object.prototype || proto === null
}

/** Object keys a claim rule can never read (they are refused in a path); never copied. */
const UNREADABLE_KEYS = new Set(['__proto__', 'constructor', 'prototype'])

/**
 * A copy of a mapped claim's value with its JSON types kept: strings (up to the length limit),
 * finite numbers, booleans and null as they are, never converted (`"true"` stays a string);
 * lists and plain objects member by member, within the depth, size and value limits.
 * undefined when any part is over a limit or not JSON: the claim is then left out whole,
 * never cut, so no list or object silently loses a member and no text is truncated.
 */
function copyable(value: unknown, depth = 0, budget = { values: 0 }): unknown {
  const L = IDENTITY_PROVIDER_LIMITS
  if (++budget.values > L.maxClaimValues) return undefined
  if (value === null || typeof value === 'boolean') return value
  if (typeof value === 'string') return value.length <= L.maxStringLength ? value : undefined
  if (typeof value === 'number') return Number.isFinite(value) ? value : undefined
  if (depth >= L.maxClaimDepth) return undefined
  if (Array.isArray(value)) {
    if (value.length > L.maxArrayItems) return undefined
    const out: unknown[] = []
    for (const item of value) {
      const copied = copyable(item, depth + 1, budget)
      if (copied === undefined) return undefined
      out.push(copied)
    }
    return out
  }
  if (!isObject(value) || !isPlain(value)) return undefined
  const keys = Object.keys(value)
  if (keys.length > L.maxObjectKeys) return undefined
  const out: Record<string, unknown> = {}
  for (const key of keys) {
    if (UNREADABLE_KEYS.has(key)) continue
    if (key.length > L.maxStringLength) return undefined
    const copied = copyable(value[key], depth + 1, budget)
    if (copied === undefined) return undefined
    out[key] = copied
  }
  return out
}

function mappedRoles(p: IdentityProvider, claims: Record<string, unknown>): string[] {
  if (!p.roles) return []
  const raw = at(claims, p.roles.path)
  // A list of names, or one space-separated string as OAuth `scope` is.
  const values = typeof raw === 'string' ? raw.split(' ') : Array.isArray(raw) ? raw : []
  const out = new Set<string>()
  for (const v of values) {
    if (typeof v !== 'string') continue
    const role = p.roles.map ? p.roles.map.get(v) : v
    if (role !== undefined && ROLE_NAME_PATTERN.test(role)) out.add(role)
    if (out.size >= IDENTITY_PROVIDER_LIMITS.maxRoles) break
  }
  return [...out]
}

/**
 * The gateway identity of a verified external token. Only what the provider's mapping names
 * is carried: a claim the mapping does not name (an `idp`, `roles` or `admin` the token
 * sets itself) never reaches the access token.
 */
export function mapExternalIdentity(
  p: IdentityProvider,
  claims: Record<string, unknown>,
): MappedIdentity {
  const sub = claims.sub
  if (
    typeof sub !== 'string' ||
    sub === '' ||
    CONTROL.test(sub) ||
    p.subjectPrefix.length + sub.length > IDENTITY_PROVIDER_LIMITS.maxSubjectLength ||
    sub.trim() !== sub
  ) {
    throw new TokenError('TOKEN_MALFORMED', 'claim sub cannot be mapped')
  }
  const mapped: Record<string, unknown> = {}
  for (const [name, path] of p.claims) {
    const value = copyable(at(claims, path))
    if (value !== undefined) mapped[name] = value
  }
  return { sub: p.subjectPrefix + sub, idp: p.name, roles: mappedRoles(p, claims), claims: mapped }
}
