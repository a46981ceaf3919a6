/**
 * The parts of a mint request every service checks the same way: names, lifetime, the
 * caller's extra claims, the `jti`, the payload size. Pure: the caller passes `now`.
 */
import { base64url } from 'jose'
import { LIMITS, ROLE_PATTERN } from './constants.js'
import { TokenServiceError } from './errors.js'

export interface Lifetime {
  defaultTtlSeconds: number
  maxTtlSeconds: number
}

export function invalidRequest(what: string): never {
  throw new TokenServiceError('MINT_REQUEST_INVALID', what)
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false
  const proto = Object.getPrototypeOf(value) as unknown
  return proto === Object.prototype || proto === null
}

/** `sub`, `aud`, `idp`: a non-empty printable string without surrounding spaces. */
export function nameOf(field: string, value: unknown): string {
  if (
    typeof value !== 'string' ||
    value === '' ||
    value.length > LIMITS.maxNameLength ||
    value.trim() !== value ||
    /[\u0000-\u001f\u007f-\u009f]/.test(value)
  ) {
    invalidRequest(`${field} must be a printable string of 1 to ${LIMITS.maxNameLength} characters`)
  }
  return value
}

/** The lifetime in whole seconds: the default when none is asked, the cap when more is. */
export function lifetimeOf(ask: unknown, lifetime: Lifetime): number {
  if (ask === undefined) return lifetime.defaultTtlSeconds
  if (typeof ask !== 'number' || !Number.isFinite(ask) || ask < 1) {
    invalidRequest('ttlSeconds must be a number of seconds, at least 1')
  }
  return Math.min(Math.floor(ask), lifetime.maxTtlSeconds)
}

/**
 * The `exp` of a token issued at `now` for `ttl` seconds, never after `notAfter` (seconds
 * since the epoch), when the caller gives one: a token minted for another token (an access
 * token for a bearer token, a bearer token for a provider's token) ends when that one does.
 * A `notAfter` already reached is refused: the token would be born expired.
 */
export function expiryOf(now: number, ttl: number, notAfter: unknown): number {
  if (notAfter === undefined) return now + ttl
  if (typeof notAfter !== 'number' || !Number.isFinite(notAfter)) {
    invalidRequest('notAfter must be a time in seconds since the epoch')
  }
  const cap = Math.floor(notAfter)
  if (cap <= now) invalidRequest('notAfter has passed')
  return Math.min(now + ttl, cap)
}

export function rolesOf(value: unknown): string[] {
  if (value === undefined) return []
  if (!Array.isArray(value) || value.length > LIMITS.maxRoles) {
    invalidRequest(`roles must be a list of at most ${LIMITS.maxRoles} names`)
  }
  for (const role of value) {
    if (typeof role !== 'string' || !ROLE_PATTERN.test(role)) {
      invalidRequest('each role must be 1 to 64 letters, digits, _ or -')
    }
  }
  return [...new Set(value as string[])]
}

function isJsonValue(value: unknown, depth: number): boolean {
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return true
  if (typeof value === 'number') return Number.isFinite(value)
  if (depth >= LIMITS.maxClaimDepth) return false
  if (Array.isArray(value)) return value.every((v) => isJsonValue(v, depth + 1))
  return isPlainObject(value) && Object.values(value).every((v) => isJsonValue(v, depth + 1))
}

/**
 * The caller's extra claims without the reserved names, which the service stamps itself.
 * Only JSON values are kept as they are; anything else (a Map, a Date, NaN) is refused.
 */
export function extraClaims(claims: unknown, reserved: readonly string[]): Record<string, unknown> {
  if (claims === undefined) return {}
  if (!isPlainObject(claims) || !isJsonValue(claims, 0)) {
    invalidRequest(`claims must be a JSON object nested at most ${LIMITS.maxClaimDepth} deep`)
  }
  const out: Record<string, unknown> = {}
  for (const [name, value] of Object.entries(claims)) {
    // `__proto__` as an own key would set the prototype of `out` instead of a claim.
    if (reserved.includes(name) || name === '__proto__') continue
    out[name] = value
  }
  return out
}

/** A fresh token id: 128 random bits, base64url. */
export function newJti(): string {
  return base64url.encode(crypto.getRandomValues(new Uint8Array(16)))
}

/** Refuses a payload that would make a token larger than verifiers accept. */
export function checkPayloadSize(payload: Record<string, unknown>): void {
  const bytes = new TextEncoder().encode(JSON.stringify(payload)).byteLength
  if (bytes > LIMITS.maxPayloadBytes) {
    invalidRequest(`the claims make a token payload over ${LIMITS.maxPayloadBytes} bytes`)
  }
}

/** Current time in whole seconds, as JWT claims count it. */
export function epochSeconds(ms: number): number {
  return Math.floor(ms / 1000)
}
