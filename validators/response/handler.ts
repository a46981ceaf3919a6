/**
 * The response validator's verdict on one dirty response: nothing that looks like a leak,
 * the status declared for the operation, the body matching that status's declared content
 * (undeclared members dropped or refused, by policy), and the headers hardened (check.ts has
 * the steps). A refused response becomes an error for the client with a generic title; the
 * reason (never the body) is in the verdict, for the log and the audit trail. Pure: no I/O,
 * the clock is passed in.
 */
import {
  decodeResponse,
  encodeResponse,
  errorResponse,
  GatewayError,
  hasExpired,
  parseDirtyResponse,
  refusalReason,
  subjects,
  type ErrorCode,
  type RequestContext,
  type ResponseEnvelope,
  type WireMessage,
  type BusMessage,
  failureReason,
} from '../../core/index.js'
import { checkResponse, type ResponseContract } from '../lib/index.js'

/** The compiled schemas and response rules of each host. */
export type ResponseValidatorOptions = ResponseContract

export type ResponseVerdict =
  | {
      kind: 'publish'
      subject: string
      wire: WireMessage
      requestId: string
      status: number
      /** Set when the response is an error answer (a refusal or the backend's own). */
      code?: ErrorCode
      /** The response validator refused what the upstream sent; `reason` says why. */
      refused: boolean
      reason?: string
      /** Undeclared members dropped from the body (policy `drop`), as JSON pointers. */
      dropped?: string[]
      request: RequestContext
    }
  | { kind: 'drop'; reason: string; requestId?: string }

export type ResponseValidator = (msg: BusMessage, now: number) => ResponseVerdict

export function createResponseValidator(options: ResponseValidatorOptions): ResponseValidator {
  return (msg, now) => {
    let env: ResponseEnvelope
    try {
      env = decodeResponse(msg.headers, msg.data)
    } catch (e) {
      return { kind: 'drop', reason: failureReason(e) }
    }
    const { request } = env
    const requestId = request.requestId
    if (!request.replyTo) return { kind: 'drop', reason: 'response has no reply stamp', requestId }
    if (hasExpired(request, now)) return { kind: 'drop', reason: 'deadline passed', requestId }
    // The caller is the backend connector of the host the subject names: the broker lets
    // each one publish only its own host's subject. A response for another host's request is
    // dropped, never answered: that host's clients are no business of this connector.
    const filed = parseDirtyResponse(msg.subject)
    if (!filed) return { kind: 'drop', reason: 'not a dirty response subject', requestId }
    if (filed.host !== request.host) {
      return {
        kind: 'drop',
        reason: `response for host ${request.host} published by the backend of ${filed.host}`,
        requestId,
      }
    }
    const subject = subjects.cleanResponse('response-validator', request.host)
    const refuse = (error: GatewayError): ResponseVerdict => ({
      kind: 'publish',
      subject,
      wire: encodeResponse(errorResponse(request, error)),
      requestId,
      status: error.status,
      code: error.code,
      reason: refusalReason(error),
      refused: true,
      request,
    })
    try {
      const { out, dropped } = checkResponse(env, options)
      const verdict: ResponseVerdict = {
        kind: 'publish',
        subject,
        wire: encodeResponse(out),
        requestId,
        status: out.status,
        refused: false,
        request,
      }
      if (out.error) verdict.code = out.error
      if (dropped.length > 0) verdict.dropped = dropped
      return verdict
    } catch (e) {
      if (e instanceof GatewayError) return refuse(e)
      throw e
    }
  }
}
