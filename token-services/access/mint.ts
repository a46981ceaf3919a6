/**
 * The access token's shape: iss `access.token.core`, the audience and issuer-of-origin the
 * caller names, sub, iat, exp, a random jti, plus the caller's extra claims minus the
 * reserved names. Pure: the caller passes `now` (seconds).
 */
import {
  ACCESS,
  RESERVED_CLAIMS,
  checkPayloadSize,
  expiryOf,
  extraClaims,
  invalidRequest,
  isPlainObject,
  lifetimeOf,
  nameOf,
  newJti,
  signToken,
  type MintResult,
  type SigningKeys,
} from '../shared/index.js'

export interface AccessMintRequest {
  sub: string
  /** Who the token is for, e.g. the upstream host. */
  aud: string
  /** The issuer the caller's own token came from (`bearer.token.core`, an IdP's `iss`). */
  idp: string
  claims?: Record<string, unknown>
  /** Default 60 s; anything above 15 minutes is clamped to 15 minutes. */
  ttlSeconds?: number
  /** The latest `exp` (seconds since the epoch): the caller's own token's `exp`. */
  notAfter?: number
}

export function accessClaims(
  request: AccessMintRequest,
  now: number,
  jti = newJti(),
): Record<string, unknown> {
  if (!isPlainObject(request)) invalidRequest('the request must be an object')
  const ttl = lifetimeOf(request.ttlSeconds, ACCESS)
  const payload = {
    ...extraClaims(request.claims, RESERVED_CLAIMS),
    iss: ACCESS.issuer,
    aud: nameOf('aud', request.aud),
    sub: nameOf('sub', request.sub),
    idp: nameOf('idp', request.idp),
    iat: now,
    exp: expiryOf(now, ttl, request.notAfter),
    jti,
  }
  checkPayloadSize(payload)
  return payload
}

export async function mintAccessToken(
  keys: SigningKeys,
  request: AccessMintRequest,
  now: number,
): Promise<MintResult> {
  return signToken(keys, accessClaims(request, now))
}
