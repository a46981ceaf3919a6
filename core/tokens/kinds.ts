/**
 * Token kinds are data: which issuer, audience, algorithms and keys a kind of token must
 * have. `defineTokenKinds` checks a configuration once, at start, and throws a `TypeError`
 * naming the field on anything dangerous (`none`, HMAC, a non-EdDSA internal kind, a
 * missing audience) instead of warning.
 */
import {
  ALWAYS_REQUIRED_CLAIMS,
  CLAIM_NAME_PATTERN,
  EXTERNAL_ALGORITHMS,
  INTERNAL_ALGORITHMS,
  KIND_DEFAULTS,
  KIND_LIMITS,
  TOKEN_KIND_NAMES,
  type TokenAlgorithm,
  type TokenKindName,
} from './constants.js'
import { failureReason } from '../errors/index.js'
import { parseJwks, type JwksLimits } from './jwks.js'

/** Where a kind's keys come from: a JWKS handed in, or a pinned URL fetched by the key set. */
export type KeySource = { jwks: unknown } | { url: string }

export interface TokenKindConfig {
  kind: TokenKindName
  /** Compared exactly: no trimming, no case folding, no Unicode normalization. */
  issuer: string
  /** A token must name at least one of these in `aud`. Absent when `audienceFromCall`. */
  audience?: string | string[]
  /**
   * The audience is the caller's, per verification (`verify(token, kind, { audience })`):
   * access tokens name the upstream host they were minted for (`portcullis:<host>`), and a
   * verification that does not say which audience it serves refuses every token.
   */
  audienceFromCall?: boolean
  algorithms: string[]
  keys: KeySource
  maxTokenBytes?: number
  clockSkewSeconds?: number
  maxLifetimeSeconds?: number
  /** Added to `iss`, `aud`, `exp`, `iat` and `sub`, which are always required. */
  requiredClaims?: string[]
  /** A `typ` header accepted besides `JWT`, e.g. `at+jwt`. */
  type?: string
}

export interface TokenKind {
  readonly kind: TokenKindName
  readonly issuer: string
  /** Empty when `audienceFromCall`. */
  readonly audience: readonly string[]
  readonly audienceFromCall: boolean
  readonly algorithms: readonly TokenAlgorithm[]
  readonly keys: KeySource
  readonly maxTokenBytes: number
  readonly clockSkewSeconds: number
  readonly maxLifetimeSeconds: number
  readonly requiredClaims: readonly string[]
  /** Accepted `typ` values, normalized (lowercase, without `application/`). */
  readonly types: readonly string[]
}

function fail(where: string, what: string): never {
  throw new TypeError(`token kind ${where}: ${what}`)
}

function isPrintable(value: string): boolean {
  // Visible ASCII or any non-control code point; no spaces at either end.
  return !/[\u0000-\u001f\u007f-\u009f]/.test(value) && value.trim() === value
}

function intIn(value: unknown, fallback: number, min: number, max: number, what: string): number {
  const v = value ?? fallback
  if (!Number.isSafeInteger(v) || (v as number) < min || (v as number) > max) {
    fail(what, `must be an integer from ${min} to ${max}`)
  }
  return v as number
}

export function normalizeType(typ: string): string {
  const lower = typ.toLowerCase()
  return lower.startsWith('application/') ? lower.slice('application/'.length) : lower
}

function algorithmsOf(config: TokenKindConfig, where: string): TokenAlgorithm[] {
  const list = config.algorithms
  if (!Array.isArray(list) || list.length === 0) fail(where, 'algorithms must be a non-empty list')
  for (const alg of list) {
    if (typeof alg !== 'string') fail(where, 'algorithms must be strings')
    if (alg.toLowerCase() === 'none') fail(where, 'algorithm none is never allowed')
    if (/^hs\d+$/i.test(alg)) fail(where, `HMAC (${alg}) is never allowed`)
    const allowed: readonly string[] =
      config.kind === 'external' ? EXTERNAL_ALGORITHMS : INTERNAL_ALGORITHMS
    if (!allowed.includes(alg)) fail(where, `algorithm ${alg} is not allowed for this kind`)
  }
  return [...new Set(list)] as TokenAlgorithm[]
}

function keysOf(source: KeySource, where: string, limits?: Partial<JwksLimits>): KeySource {
  if (!source || typeof source !== 'object') fail(where, 'keys must be { jwks } or { url }')
  if ('url' in source && 'jwks' in source) fail(where, 'keys must have jwks or url, not both')
  if ('url' in source) return { url: pinnedUrl(source.url, where) }
  if ('jwks' in source) {
    try {
      parseJwks(source.jwks, limits)
    } catch (e) {
      fail(where, `keys.jwks refused: ${failureReason(e)}`)
    }
    return { jwks: source.jwks }
  }
  return fail(where, 'keys must be { jwks } or { url }')
}

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]'])

/** HTTPS only, except plain HTTP to a loopback host (a local identity provider in tests). */
export function pinnedUrl(value: unknown, where: string): string {
  if (typeof value !== 'string') fail(where, 'keys.url must be a string')
  let url: URL
  try {
    url = new URL(value)
  } catch {
    return fail(where, 'keys.url is not a URL')
  }
  if (url.username || url.password) fail(where, 'keys.url must not carry credentials')
  if (url.hash) fail(where, 'keys.url must not have a fragment')
  const ok = url.protocol === 'https:' || (url.protocol === 'http:' && LOOPBACK.has(url.hostname))
  if (!ok) fail(where, 'keys.url must be https (http only to a loopback host)')
  return url.href
}

export function defineTokenKind(config: TokenKindConfig, limits?: Partial<JwksLimits>): TokenKind {
  const where = `${config?.kind ?? '?'}:${config?.issuer ?? '?'}`
  if (!TOKEN_KIND_NAMES.includes(config?.kind))
    fail(where, 'kind must be access, bearer or external')
  if (typeof config.issuer !== 'string' || config.issuer === '' || !isPrintable(config.issuer)) {
    fail(where, 'issuer must be a non-empty string without surrounding spaces')
  }
  const fromCall = config.audienceFromCall === true
  if (config.audienceFromCall !== undefined && typeof config.audienceFromCall !== 'boolean') {
    fail(where, 'audienceFromCall must be a boolean')
  }
  if (fromCall && config.audience !== undefined) {
    fail(where, 'audience and audienceFromCall exclude each other')
  }
  const audience = fromCall
    ? []
    : typeof config.audience === 'string'
      ? [config.audience]
      : config.audience
  if (
    !fromCall &&
    (!Array.isArray(audience) ||
      audience.length === 0 ||
      !audience.every((a) => typeof a === 'string' && a !== '' && isPrintable(a)))
  ) {
    fail(where, 'audience is required: a non-empty string or list of strings')
  }
  const required = config.requiredClaims ?? []
  if (!Array.isArray(required) || !required.every((c) => CLAIM_NAME_PATTERN.test(c))) {
    fail(where, 'requiredClaims must be a list of claim names')
  }
  const types = ['jwt']
  if (config.type !== undefined) {
    if (typeof config.type !== 'string' || !/^[A-Za-z0-9.+/-]{1,64}$/.test(config.type)) {
      fail(where, 'type must be a media type name')
    }
    types.push(normalizeType(config.type))
  }
  return Object.freeze({
    kind: config.kind,
    issuer: config.issuer,
    audience: Object.freeze([...(audience ?? [])]),
    audienceFromCall: fromCall,
    algorithms: Object.freeze(algorithmsOf(config, where)),
    keys: keysOf(config.keys, where, limits),
    maxTokenBytes: intIn(
      config.maxTokenBytes,
      KIND_DEFAULTS.maxTokenBytes,
      KIND_LIMITS.minTokenBytes,
      KIND_LIMITS.maxTokenBytes,
      `${where} maxTokenBytes`,
    ),
    clockSkewSeconds: intIn(
      config.clockSkewSeconds,
      KIND_DEFAULTS.clockSkewSeconds,
      0,
      KIND_LIMITS.maxClockSkewSeconds,
      `${where} clockSkewSeconds`,
    ),
    maxLifetimeSeconds: intIn(
      config.maxLifetimeSeconds,
      KIND_DEFAULTS.maxLifetimeSeconds[config.kind],
      1,
      KIND_LIMITS.maxLifetimeSeconds,
      `${where} maxLifetimeSeconds`,
    ),
    requiredClaims: Object.freeze([...new Set([...ALWAYS_REQUIRED_CLAIMS, ...required])]),
    types: Object.freeze([...new Set(types)]),
  })
}

/** Checks a list of kinds: each valid, and no two with the same issuer. */
export function defineTokenKinds(
  configs: TokenKindConfig[],
  limits?: Partial<JwksLimits>,
): TokenKind[] {
  if (!Array.isArray(configs) || configs.length === 0) {
    throw new TypeError('token kinds: at least one kind is required')
  }
  const kinds = configs.map((c) => defineTokenKind(c, limits))
  const issuers = new Set<string>()
  for (const k of kinds) {
    if (issuers.has(k.issuer)) throw new TypeError(`token kinds: issuer ${k.issuer} appears twice`)
    issuers.add(k.issuer)
  }
  return kinds
}
