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
  type AccessMintRequest,
  type MintResult,
  type SigningKeys,
} from '../shared/index.js'

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
