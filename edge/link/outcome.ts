/**
 * What a pool object answers over RPC: the response, or a stable code with the reason for
 * the log. A plain value on purpose: errors crossing the RPC boundary keep only their
 * message, so the code travels as data.
 */
import { errors as natsErrors } from '@nats-io/nats-core'
import {
  failureReason,
  GatewayError,
  refusalReason,
  type ErrorCode,
  type ResponseEnvelope,
} from '../../core/index.js'

export type LinkOutcome =
  | { ok: true; response: ResponseEnvelope }
  | {
      ok: false
      code: ErrorCode
      reason: string
      /** The request never left the object (its link is down): another shard may carry it. */
      unsent?: true
    }

/** A failure before the request was published: the link is down or could not be opened. */
export class LinkDownError extends GatewayError {
  constructor(reason: string) {
    super('BUS_UNAVAILABLE', { reason: `link: ${reason}` })
  }
}

/**
 * Maps a failure on the link to a code: no answer in time is GATEWAY_TIMEOUT; anything the
 * connection itself says (no responders, closed, refused, not authorized) is BUS_UNAVAILABLE.
 */
export function failure(error: unknown): LinkOutcome & { ok: false } {
  if (error instanceof LinkDownError) {
    return { ok: false, code: error.code, reason: refusalReason(error), unsent: true }
  }
  if (error instanceof GatewayError) {
    return { ok: false, code: error.code, reason: refusalReason(error) }
  }
  const reason = failureReason(error)
  if (error instanceof natsErrors.TimeoutError)
    return { ok: false, code: 'GATEWAY_TIMEOUT', reason }
  return { ok: false, code: 'BUS_UNAVAILABLE', reason }
}

export function unwrap(outcome: LinkOutcome): ResponseEnvelope {
  if (outcome.ok) return outcome.response
  throw new GatewayError(outcome.code, { reason: outcome.reason })
}
