import { GatewayError, RetryLaterError } from './gateway-error.js'
import { SetupError } from './setup.js'

/**
 * The reason of any failure, for logs and the audit trail (never for a client): a gateway
 * error's code and reason, a setup error's code and message, else the error's message.
 */
export function failureReason(e: unknown): string {
  if (e instanceof GatewayError) return e.reason ? `${e.code}: ${e.reason}` : e.code
  if (e instanceof RetryLaterError) return `retry later: ${failureReason(e.final)}`
  if (e instanceof SetupError) return `${e.code}: ${e.message}`
  return e instanceof Error ? e.message : String(e)
}

/**
 * The reason recorded beside a refusal's code (an audit verdict carries both): its reason,
 * else its client-safe detail, else the code itself.
 */
export function refusalReason(e: GatewayError): string {
  return e.reason ?? e.detail ?? e.code
}

/**
 * Any failure as a client may see it: a gateway error stays itself, a retry-later is its
 * final answer, and anything else (a setup error that escaped into the request path, a bug)
 * is INTERNAL_ERROR with the reason kept for the log.
 */
export function asGatewayError(e: unknown): GatewayError {
  if (e instanceof GatewayError) return e
  if (e instanceof RetryLaterError) return e.final
  return new GatewayError('INTERNAL_ERROR', { reason: failureReason(e) })
}
