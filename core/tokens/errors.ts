/**
 * Token refusals: a `GatewayError` whose code is one of the `TOKEN_*` codes, with the
 * `WWW-Authenticate` header RFC 6750 asks for. The reason names the step and the claim or
 * header member at fault, never the token, a claim's value or a key.
 */
import { GatewayError, type ErrorCode } from '../errors/index.js'

export type TokenErrorCode = Extract<ErrorCode, `TOKEN_${string}`>

export class TokenError extends GatewayError {
  declare readonly code: TokenErrorCode

  constructor(code: TokenErrorCode, reason: string) {
    super(code, {
      reason: `token: ${reason}`,
      headers: {
        'www-authenticate': code === 'TOKEN_MISSING' ? 'Bearer' : 'Bearer error="invalid_token"',
      },
    })
    this.name = 'TokenError'
  }
}

export function isTokenError(error: unknown): error is TokenError {
  return error instanceof TokenError
}

/** jose's claim refusals carry the claim's name and why it failed. */
interface JoseClaimError {
  code: string
  claim?: unknown
  reason?: unknown
}

const CLAIM_CODES: Record<string, TokenErrorCode> = {
  iss: 'TOKEN_ISSUER_NOT_TRUSTED',
  aud: 'TOKEN_AUDIENCE_INVALID',
  nbf: 'TOKEN_NOT_YET_VALID',
  iat: 'TOKEN_NOT_YET_VALID',
  exp: 'TOKEN_EXPIRED',
}

/**
 * Maps a failure raised by jose to a token code. Anything jose did not classify (a
 * `TypeError` from a key that does not fit) is a signature that did not verify: fail closed.
 */
export function tokenErrorFromJose(error: unknown): TokenError {
  if (error instanceof TokenError) return error
  const e = (error ?? {}) as JoseClaimError
  const claim = typeof e.claim === 'string' ? e.claim : undefined
  switch (e.code) {
    case 'ERR_JWT_EXPIRED':
      return new TokenError('TOKEN_EXPIRED', `claim ${claim ?? 'exp'} has passed`)
    case 'ERR_JWT_CLAIM_VALIDATION_FAILED': {
      if (e.reason === 'check_failed' && claim && CLAIM_CODES[claim]) {
        return new TokenError(CLAIM_CODES[claim], `claim ${claim} check failed`)
      }
      if (claim === 'aud') return new TokenError('TOKEN_AUDIENCE_INVALID', 'claim aud missing')
      if (claim === 'iss') return new TokenError('TOKEN_ISSUER_NOT_TRUSTED', 'claim iss missing')
      return new TokenError('TOKEN_MALFORMED', `claim ${claim ?? '?'} ${String(e.reason)}`)
    }
    case 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED':
      return new TokenError('TOKEN_INVALID_SIGNATURE', 'signature did not verify')
    case 'ERR_JOSE_ALG_NOT_ALLOWED':
    case 'ERR_JOSE_NOT_SUPPORTED':
      return new TokenError('TOKEN_ALGORITHM_NOT_ALLOWED', 'algorithm refused by the verifier')
    case 'ERR_JWS_INVALID':
    case 'ERR_JWT_INVALID':
      return new TokenError('TOKEN_MALFORMED', 'not a well-formed JWS/JWT')
    case 'ERR_JWK_INVALID':
    case 'ERR_JWKS_NO_MATCHING_KEY':
    case 'ERR_JWKS_MULTIPLE_MATCHING_KEYS':
    case 'ERR_JWKS_INVALID':
      return new TokenError('TOKEN_KEY_UNKNOWN', 'no usable key')
    default:
      return new TokenError('TOKEN_INVALID_SIGNATURE', 'verification failed')
  }
}
