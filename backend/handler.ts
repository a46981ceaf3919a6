/**
 * The backend connector's work on one clean request: call the upstream once and turn what
 * came back (or how it failed) into a response envelope for dresp. The HTTP call and the
 * redelivery memory are handed in; the handler reads no clock of its own.
 */
import {
  decodeRequest,
  encodeResponse,
  errorResponse,
  GatewayError,
  hasExpired,
  parseCleanRequest,
  refusalReason,
  subjects,
  type ErrorCode,
  type RequestEnvelope,
  type ResponseEnvelope,
  type WireMessage,
  type BusMessage,
  failureReason,
} from '../core/index.js'
import { stampResponseHeaders } from './headers.js'
import type { ConnectorParts } from './parts.js'
import { guardedCall } from './idempotency.js'
import { toUpstreamRequest } from './request.js'

/** A response for dresp and, for an error answer or a replay, why (log and audit only). */
export interface Answer {
  response: ResponseEnvelope
  reason?: string
}

export type BackendOptions = ConnectorParts<Answer>

export type BackendVerdict =
  | {
      kind: 'publish'
      subject: string
      wire: WireMessage
      requestId: string
      status: number
      code?: ErrorCode
      reason?: string
      /** The answer was produced for an earlier delivery; the upstream was not called again. */
      reused: boolean
      request: RequestEnvelope
    }
  | { kind: 'drop'; reason: string; requestId?: string }

export type BackendHandler = (msg: BusMessage, now: number) => Promise<BackendVerdict>

export function createBackendHandler(options: BackendOptions): BackendHandler {
  const subject = subjects.dirtyResponse(options.host)

  const produce = async (env: RequestEnvelope, now: number): Promise<Answer> => {
    try {
      const sent = toUpstreamRequest(env, options.upstream, now)
      const result = await guardedCall(options.idempotency, env, sent, now, options.call)
      const answer: Answer = {
        response: {
          request: env,
          status: result.status,
          headers: stampResponseHeaders(sent, result.headers),
          body: result.body,
        },
      }
      // For the audit trail: this answer is a client's Idempotency-Key replay, not a call.
      if (result.replayed) answer.reason = 'replayed from the Idempotency-Key record'
      return answer
    } catch (e) {
      if (!(e instanceof GatewayError)) throw e
      // The reason stays in the connector's log; the envelope carries the code only.
      return { response: errorResponse(env, new GatewayError(e.code)), reason: refusalReason(e) }
    }
  }

  return async (msg, now) => {
    let env: RequestEnvelope
    try {
      env = decodeRequest(msg.headers, msg.data)
    } catch (e) {
      return { kind: 'drop', reason: failureReason(e) }
    }
    const { requestId } = env
    if (!env.replyTo) return { kind: 'drop', reason: 'request has no reply stamp', requestId }
    // The host is the subject's (only the request validator publishes on creq, and this
    // connector's consumer holds only its own host's subject). A request that names another
    // host is dropped: answering it would publish for a host this connector does not serve.
    const filed = parseCleanRequest(msg.subject)?.host
    if (filed !== options.host || env.host !== filed) {
      return {
        kind: 'drop',
        reason: `request for host ${env.host} filed under ${filed ?? 'no host'}`,
        requestId,
      }
    }
    if (options.memory.isDelivered(requestId, now)) {
      return { kind: 'drop', reason: 'answer already on dresp', requestId }
    }
    if (hasExpired(env, now)) return { kind: 'drop', reason: 'deadline passed', requestId }
    const { value, reused } = await options.memory.run(requestId, now, () => produce(env, now))
    const { response, reason } = value
    const verdict: BackendVerdict = {
      kind: 'publish',
      subject,
      wire: encodeResponse(response),
      requestId,
      status: response.status,
      reused,
      request: env,
    }
    if (response.error) verdict.code = response.error
    if (reason) verdict.reason = reason
    return verdict
  }
}
