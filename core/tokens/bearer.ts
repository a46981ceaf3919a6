/**
 * Reads the token from an `Authorization` header (RFC 6750 §2.1). No header, or another
 * scheme, is a missing token; a `Bearer` header that is not one token68 is malformed.
 */
import { TokenError } from './errors.js'

const BEARER = /^Bearer +([A-Za-z0-9._~+/-]+=*) *$/i

export function readBearerToken(authorization: string | null | undefined): string {
  if (!authorization) throw new TokenError('TOKEN_MISSING', 'no Authorization header')
  if (!/^Bearer(?: |$)/i.test(authorization)) {
    throw new TokenError('TOKEN_MISSING', 'Authorization is not a Bearer credential')
  }
  const m = BEARER.exec(authorization)
  if (!m) throw new TokenError('TOKEN_MALFORMED', 'Bearer credential is not one token')
  return m[1]!
}
