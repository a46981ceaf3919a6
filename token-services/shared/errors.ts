/**
 * Failures of the token services. The code is also the start of the message, because an
 * error that crosses a service binding (RPC) keeps only its message: `tokenServiceErrorCode`
 * reads the code back on the caller's side. Messages name a binding or a field, never a key,
 * a token or a caller's value.
 */

export const TOKEN_SERVICE_ERROR_CODES = [
  /** The signing-keys secret is not set. */
  'SIGNING_KEYS_MISSING',
  /** The signing-keys secret is set but is not one or two Ed25519 private JWKs with kids. */
  'SIGNING_KEYS_INVALID',
  /** A mint request that does not fit (empty `sub`, a bad role, claims too large, ...). */
  'MINT_REQUEST_INVALID',
  /** A revocation request or lookup with a malformed `jti` or expiry. */
  'REVOKE_REQUEST_INVALID',
] as const

export type TokenServiceErrorCode = (typeof TOKEN_SERVICE_ERROR_CODES)[number]

export class TokenServiceError extends Error {
  readonly code: TokenServiceErrorCode

  constructor(code: TokenServiceErrorCode, what: string) {
    super(`${code}: ${what}`)
    this.name = 'TokenServiceError'
    this.code = code
  }
}

const CODE_IN_MESSAGE = /^(?:TokenServiceError: )?([A-Z_]+):/

/** The code of a token-service failure, also when it arrived over RPC as a plain `Error`. */
export function tokenServiceErrorCode(error: unknown): TokenServiceErrorCode | undefined {
  if (error instanceof TokenServiceError) return error.code
  if (!(error instanceof Error)) return undefined
  const code = CODE_IN_MESSAGE.exec(error.message)?.[1]
  return (TOKEN_SERVICE_ERROR_CODES as readonly string[]).includes(code ?? '')
    ? (code as TokenServiceErrorCode)
    : undefined
}
