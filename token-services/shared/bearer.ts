/**
 * The bearer token's shape, in one place for the bearer worker and the operator CLI:
 * iss `bearer.token.core`, aud `portcullis`, sub, idp (when the token exchange names the
 * identity provider), roles, iat, exp, jti, plus the caller's
 * extra claims minus the reserved names (and `roles`, which has its own field).
 */
import type { BearerMintRequest, MintResult } from '../../core/tokens/rpc.js'
import { BEARER, BEARER_RESERVED_CLAIMS } from './constants.js'
import {
  checkPayloadSize,
  expiryOf,
  extraClaims,
  invalidRequest,
  isPlainObject,
  lifetimeOf,
  nameOf,
  newJti,
  rolesOf,
} from './claims.js'
import type { SigningKeys } from './keys.js'
import { signToken } from './sign.js'

/** The payload of a bearer token issued at `now` (seconds). */
export function bearerClaims(
  request: BearerMintRequest,
  now: number,
  jti = newJti(),
): Record<string, unknown> {
  if (!isPlainObject(request)) invalidRequest('the request must be an object')
  const ttl = lifetimeOf(request.ttlSeconds, BEARER)
  const payload = {
    ...extraClaims(request.claims, BEARER_RESERVED_CLAIMS),
    iss: BEARER.issuer,
    aud: BEARER.audience,
    sub: nameOf('sub', request.sub),
    ...(request.idp !== undefined && { idp: nameOf('idp', request.idp) }),
    roles: rolesOf(request.roles),
    iat: now,
    exp: expiryOf(now, ttl, request.notAfter),
    jti,
  }
  checkPayloadSize(payload)
  return payload
}

export async function mintBearerToken(
  keys: SigningKeys,
  request: BearerMintRequest,
  now: number,
): Promise<MintResult> {
  return signToken(keys, bearerClaims(request, now))
}
