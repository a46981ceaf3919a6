/**
 * What a failed mint of the token services means for the client. An error that crosses a
 * service binding keeps only its message, which starts with the service's code
 * (`MINT_REQUEST_INVALID: ...`). A mint refused for what the presented token says (its
 * `exp` reached, an identity too large to carry) is the token's fault: a `TOKEN_*` refusal,
 * never a 500. Anything else (keys missing, the binding down) is the gateway's.
 */
import { failureReason, GatewayError, readTokenServiceError, TokenError } from '../../core/index.js'

export function mintRefusal(error: unknown, what: string): GatewayError {
  const failure = readTokenServiceError(error)
  if (failure?.code === 'MINT_REQUEST_INVALID') {
    const reason = failure.what.slice(0, 200)
    return reason.startsWith('notAfter')
      ? new TokenError('TOKEN_EXPIRED', `${what}: the presented token expires now`)
      : new TokenError('TOKEN_MALFORMED', `${what}: the identity cannot be carried (${reason})`)
  }
  return new GatewayError('INTERNAL_ERROR', {
    reason: `${what} failed: ${failureReason(error).slice(0, 200)}`,
  })
}
