/**
 * Failures of the token services. The code is also the start of the message, because an
 * error that crosses a service binding (RPC) keeps only its message: `tokenServiceErrorCode`
 * reads the code back on the caller's side (the codes and the message's shape are the RPC
 * contract's, core/tokens/rpc.ts). Messages name a binding or a field, never a key, a token
 * or a caller's value.
 */
import {
  readTokenServiceError,
  tokenServiceMessage,
  type TokenServiceErrorCode,
} from '../../core/tokens/rpc.js'

export { TOKEN_SERVICE_ERROR_CODES, type TokenServiceErrorCode } from '../../core/tokens/rpc.js'

export class TokenServiceError extends Error {
  readonly code: TokenServiceErrorCode

  constructor(code: TokenServiceErrorCode, what: string) {
    super(tokenServiceMessage(code, what))
    this.name = 'TokenServiceError'
    this.code = code
  }
}

/** The code of a token-service failure, also when it arrived over RPC as a plain `Error`. */
export function tokenServiceErrorCode(error: unknown): TokenServiceErrorCode | undefined {
  if (error instanceof TokenServiceError) return error.code
  return readTokenServiceError(error)?.code
}
