/**
 * The relay's two decisions, pure (no I/O, the clock passed in):
 * - a request from the link: stamp the broker-certified edge id (from the subject) and the
 *   reply inbox (from the message), then publish it to dreq; or answer at once when it
 *   cannot be read;
 * - a clean response from cresp: answer the edge at the inbox the request carried.
 * Everything needed to answer travels in the envelope, so the relay keeps no state.
 */
import type { MsgHdrs } from '@nats-io/nats-core'
import {
  decodeRequest,
  decodeResponse,
  edgeIdOfLinkRequest,
  encodeRequest,
  encodeResponse,
  errorResponse,
  failureReason,
  fallbackContextOf,
  GatewayError,
  hasExpired,
  isInboxOf,
  parseCleanResponse,
  subjects,
  type ErrorCode,
  type RequestContext,
  type RequestEnvelope,
  type ResponseEnvelope,
  type ResponseStage,
  type WireMessage,
  type BusMessage,
} from '../../core/index.js'

export interface LinkMessage {
  subject: string
  reply?: string
  headers?: MsgHdrs | undefined
  data: Uint8Array
}

export type LinkVerdict =
  | {
      kind: 'publish'
      subject: string
      wire: WireMessage
      request: RequestEnvelope
      /** The longest the relay may wait for dreq's ack before answering BUS_UNAVAILABLE. */
      timeoutMs: number
    }
  | {
      kind: 'answer'
      replyTo: string
      wire: WireMessage
      requestId: string
      code: ErrorCode
      reason: string
      /** What could be read of the request, for the audit trail. */
      request: RequestContext
    }
  | { kind: 'drop'; reason: string; requestId?: string }

export type ResponseVerdict =
  | {
      kind: 'answer'
      replyTo: string
      wire: WireMessage
      requestId: string
      stage: ResponseStage
      status: number
      code?: ErrorCode
      request: RequestContext
    }
  | { kind: 'drop'; reason: string; requestId?: string }

export interface RelayOptions {
  /** Upper bound for one dreq publish; the request's deadline may shorten it. */
  publishTimeoutMs: number
}

export interface RelayHandler {
  linkRequest(msg: LinkMessage, now: number): LinkVerdict
  cleanResponse(msg: BusMessage, now: number): ResponseVerdict
  /** The answer when dreq would not take a request. */
  busUnavailable(request: RequestEnvelope, reason: string): WireMessage
}

export function createRelay(options: RelayOptions): RelayHandler {
  return {
    linkRequest(msg, now) {
      const edgeId = edgeIdOfLinkRequest(msg.subject)
      if (!edgeId) return { kind: 'drop', reason: `not a link request subject: ${msg.subject}` }
      // The relay may publish into every edge's inbox: only the asking edge's inbox is an answer.
      if (!msg.reply || !isInboxOf(msg.reply, edgeId)) {
        return { kind: 'drop', reason: `reply subject is not an inbox of edge ${edgeId}` }
      }
      let request: RequestEnvelope
      try {
        request = decodeRequest(msg.headers, msg.data)
      } catch (e) {
        const error = new GatewayError('ENVELOPE_INVALID', { reason: failureReason(e) })
        const context = fallbackContextOf(msg.headers, now)
        return {
          kind: 'answer',
          replyTo: msg.reply,
          wire: encodeResponse(errorResponse(context, error)),
          requestId: context.requestId,
          code: error.code,
          reason: error.reason!,
          request: context,
        }
      }
      if (hasExpired(request, now)) {
        return { kind: 'drop', reason: 'deadline passed', requestId: request.requestId }
      }
      // Whatever the edge claimed, these two come from the broker, the time from this clock.
      request.edgeId = edgeId
      request.replyTo = msg.reply
      request.receivedAt = now
      delete request.operation
      return {
        kind: 'publish',
        subject: subjects.dirtyRequest(edgeId, request.host),
        wire: encodeRequest(request),
        request,
        // dreq electing a leader takes seconds on a loaded host: wait for its ack up to half
        // the time left, so the other half still carries the request through the pipeline.
        timeoutMs: Math.max(
          1,
          Math.min(options.publishTimeoutMs, Math.floor((request.deadline - now) / 2)),
        ),
      }
    },

    cleanResponse(msg, now) {
      // The publishing stage is the subject's, pinned by the broker; no header can change it.
      const from = parseCleanResponse(msg.subject)
      if (!from) return { kind: 'drop', reason: `not a clean response subject: ${msg.subject}` }
      let env: ResponseEnvelope
      try {
        env = decodeResponse(msg.headers, msg.data)
      } catch (e) {
        return { kind: 'drop', reason: `from ${from.stage}: ${failureReason(e)}` }
      }
      const { request } = env
      if (!request.replyTo)
        return { kind: 'drop', reason: 'response has no reply stamp', requestId: request.requestId }
      if (hasExpired(request, now))
        return { kind: 'drop', reason: 'deadline passed', requestId: request.requestId }
      let answer = env
      if (request.host !== from.host) {
        answer = errorResponse(
          request,
          new GatewayError('ENVELOPE_INVALID', {
            reason: `host ${request.host} published as ${from.host}`,
          }),
        )
      }
      const verdict: ResponseVerdict = {
        kind: 'answer',
        replyTo: request.replyTo,
        wire: encodeResponse(answer),
        requestId: request.requestId,
        stage: from.stage,
        status: answer.status,
        request,
      }
      if (answer.error) verdict.code = answer.error
      return verdict
    },

    busUnavailable(request, reason) {
      return encodeResponse(errorResponse(request, new GatewayError('BUS_UNAVAILABLE', { reason })))
    },
  }
}
