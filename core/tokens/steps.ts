/**
 * The pure steps of token verification, in the order `verify.ts` runs them. Each takes what
 * the previous one produced and throws a `TokenError`; none does I/O or reads a clock.
 */
import { base64url } from 'jose'
import {
  EXTERNAL_ALGORITHMS,
  KID_PATTERN,
  REFUSED_HEADER_MEMBERS,
  type TokenAlgorithm,
} from './constants.js'
import { failureReason } from '../errors/index.js'
import { isObject } from '../util/index.js'
import { TokenError } from './errors.js'
import { parseStrictJson } from './json.js'
import { normalizeType, type TokenKind } from './kinds.js'

export interface TokenClaims {
  iss: string
  sub: string
  aud: string | string[]
  exp: number
  iat: number
  nbf?: number
  jti?: string
  [claim: string]: unknown
}

export interface DecodedToken {
  header: Record<string, unknown>
  /** Unverified until the signature step has passed. */
  payload: Record<string, unknown>
}

export interface CheckedHeader {
  alg: TokenAlgorithm
  kid: string
  typ?: string
}

const SEGMENT = /^[A-Za-z0-9_-]*$/
const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true })

/** Step 1: present, and not larger than the largest limit of the kinds that may apply. */
export function checkSize(token: string | null | undefined, maxBytes: number): string {
  if (token === undefined || token === null || token === '') {
    throw new TokenError('TOKEN_MISSING', 'no token')
  }
  if (typeof token !== 'string') throw new TokenError('TOKEN_MALFORMED', 'not a string')
  if (token.length > maxBytes) throw new TokenError('TOKEN_TOO_LARGE', `over ${maxBytes} bytes`)
  return token
}

function decodeSegment(segment: string, what: string): Record<string, unknown> {
  if (segment === '' || segment.length % 4 === 1) {
    throw new TokenError('TOKEN_MALFORMED', `${what} is not base64url`)
  }
  let text: string
  try {
    text = utf8.decode(base64url.decode(segment))
  } catch {
    throw new TokenError('TOKEN_MALFORMED', `${what} is not base64url UTF-8`)
  }
  let value: unknown
  try {
    value = parseStrictJson(text)
  } catch (e) {
    throw new TokenError('TOKEN_MALFORMED', `${what} is not strict JSON (${failureReason(e)})`)
  }
  if (!isObject(value)) throw new TokenError('TOKEN_MALFORMED', `${what} is not a JSON object`)
  return value
}

/**
 * Steps 2 and 3: compact JWS only (three base64url parts), header and payload strict JSON
 * objects (duplicate keys refused before anything trusts `JSON.parse`).
 */
export function decodeCompact(token: string): DecodedToken {
  const parts = token.split('.')
  if (parts.length !== 3) throw new TokenError('TOKEN_MALFORMED', 'not three parts')
  if (!parts.every((p) => SEGMENT.test(p))) {
    throw new TokenError('TOKEN_MALFORMED', 'a part is not base64url')
  }
  return {
    header: decodeSegment(parts[0]!, 'header'),
    payload: decodeSegment(parts[1]!, 'payload'),
  }
}

/**
 * Step 4: the header. `alg` one of the asymmetric algorithms we know (so never `none` in
 * any spelling, never HMAC), a sane `kid`, no key references or extensions, `typ` a string.
 */
export function checkHeader(header: Record<string, unknown>): CheckedHeader {
  const alg = header.alg
  if (typeof alg !== 'string') throw new TokenError('TOKEN_MALFORMED', 'header alg missing')
  if (!(EXTERNAL_ALGORITHMS as readonly string[]).includes(alg)) {
    throw new TokenError('TOKEN_ALGORITHM_NOT_ALLOWED', 'header alg is not an allowed algorithm')
  }
  const kid = header.kid
  if (kid === undefined) throw new TokenError('TOKEN_MALFORMED', 'header kid missing')
  if (typeof kid !== 'string' || !KID_PATTERN.test(kid)) {
    throw new TokenError('TOKEN_MALFORMED', 'header kid is not a key name')
  }
  for (const member of REFUSED_HEADER_MEMBERS) {
    if (Object.hasOwn(header, member)) {
      throw new TokenError('TOKEN_MALFORMED', `header member ${member} is refused`)
    }
  }
  const typ = header.typ
  if (typ !== undefined && typeof typ !== 'string') {
    throw new TokenError('TOKEN_MALFORMED', 'header typ is not a string')
  }
  return typ === undefined
    ? { alg: alg as TokenAlgorithm, kid }
    : { alg: alg as TokenAlgorithm, kid, typ }
}

/**
 * Step 5: the kind. Only the kinds the caller expects are candidates; the claimed `iss` can
 * only narrow them (a candidate with another issuer would fail the `iss` check after the
 * signature anyway), never add one. A token whose issuer belongs to a kind the caller did
 * not ask for is a kind mismatch; an issuer nobody configured is not trusted.
 */
export function selectKind(
  candidates: readonly TokenKind[],
  all: readonly TokenKind[],
  payload: Record<string, unknown>,
): TokenKind {
  const iss = payload.iss
  if (typeof iss !== 'string') throw new TokenError('TOKEN_ISSUER_NOT_TRUSTED', 'claim iss missing')
  const kind = candidates.find((k) => k.issuer === iss)
  if (kind) return kind
  if (all.some((k) => k.issuer === iss)) {
    throw new TokenError('TOKEN_KIND_MISMATCH', 'a token of another kind')
  }
  throw new TokenError('TOKEN_ISSUER_NOT_TRUSTED', 'issuer not configured')
}

/** Step 6: what the chosen kind allows: its own size limit, algorithms and `typ`. */
export function checkAgainstKind(token: string, header: CheckedHeader, kind: TokenKind): void {
  if (token.length > kind.maxTokenBytes) {
    throw new TokenError('TOKEN_TOO_LARGE', `over ${kind.maxTokenBytes} bytes`)
  }
  if (!kind.algorithms.includes(header.alg)) {
    throw new TokenError('TOKEN_ALGORITHM_NOT_ALLOWED', `alg ${header.alg} not allowed for kind`)
  }
  if (header.typ !== undefined && !kind.types.includes(normalizeType(header.typ))) {
    throw new TokenError('TOKEN_MALFORMED', 'header typ not accepted')
  }
}

function numericDate(claims: Record<string, unknown>, name: string): number | undefined {
  const value = claims[name]
  if (value === undefined) return undefined
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    throw new TokenError('TOKEN_MALFORMED', `claim ${name} is not a NumericDate`)
  }
  return value
}

/**
 * The claims step, after the signature: `iss` exact, `aud` required and one of `audiences`
 * (the kind's, or the one the caller serves), `exp` required and not passed, `nbf` if
 * present reached, `iat` required and not in the future, the lifetime within the kind's cap,
 * `sub` a non-empty string, the kind's other required claims present. `now` is milliseconds.
 * The kind's skew forgives a clock that runs behind the issuer's (`nbf`, `iat`), never an
 * expiry: a token is expired from its `exp` on, with no tolerance.
 */
export function checkClaims(
  claims: Record<string, unknown>,
  kind: TokenKind,
  now: number,
  audiences: readonly string[] = kind.audience,
): TokenClaims {
  const t = now / 1000
  const skew = kind.clockSkewSeconds
  if (claims.iss !== kind.issuer) throw new TokenError('TOKEN_ISSUER_NOT_TRUSTED', 'claim iss')

  const aud = claims.aud
  if (aud === undefined) throw new TokenError('TOKEN_AUDIENCE_INVALID', 'claim aud missing')
  const auds = typeof aud === 'string' ? [aud] : aud
  if (!Array.isArray(auds) || !auds.every((a) => typeof a === 'string')) {
    throw new TokenError('TOKEN_AUDIENCE_INVALID', 'claim aud is not a string or list')
  }
  if (!auds.some((a) => audiences.includes(a))) {
    throw new TokenError('TOKEN_AUDIENCE_INVALID', 'claim aud does not name this audience')
  }

  const exp = numericDate(claims, 'exp')
  if (exp === undefined) throw new TokenError('TOKEN_MALFORMED', 'claim exp missing')
  if (exp <= t) throw new TokenError('TOKEN_EXPIRED', 'claim exp has passed')

  const nbf = numericDate(claims, 'nbf')
  if (nbf !== undefined && nbf > t + skew) {
    throw new TokenError('TOKEN_NOT_YET_VALID', 'claim nbf not reached')
  }

  const iat = numericDate(claims, 'iat')
  if (iat === undefined) throw new TokenError('TOKEN_MALFORMED', 'claim iat missing')
  if (iat > t + skew) throw new TokenError('TOKEN_NOT_YET_VALID', 'claim iat in the future')
  if (exp <= iat) throw new TokenError('TOKEN_MALFORMED', 'claim exp not after iat')
  if (exp - iat > kind.maxLifetimeSeconds) {
    throw new TokenError('TOKEN_MALFORMED', 'lifetime beyond the cap of the kind')
  }

  if (typeof claims.sub !== 'string' || claims.sub === '') {
    throw new TokenError('TOKEN_MALFORMED', 'claim sub missing')
  }
  for (const name of kind.requiredClaims) {
    if (!Object.hasOwn(claims, name) || claims[name] === null) {
      throw new TokenError('TOKEN_MALFORMED', `claim ${name} missing`)
    }
  }
  return claims as TokenClaims
}
