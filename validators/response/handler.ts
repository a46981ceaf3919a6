/**
 * The response validator's verdict on one dirty response: the status must be declared for
 * the operation, the body must match that status's declared content, and the headers are
 * hardened. A refused response becomes an error for the client with a generic detail; the
 * reason (never the body) goes to the log. Pure: no I/O, the clock is passed in.
 */
import {
  decodeResponse,
  encodeResponse,
  errorResponse,
  GatewayError,
  hasExpired,
  headerValue,
  matchRoute,
  subjects,
  type ErrorCode,
  type ResponseEnvelope,
  type WireMessage,
  type BusMessage,
  failureReason,
} from '../../core/index.js'
import {
  describeViolation,
  hardenResponseHeaders,
  isJsonMediaType,
  matchMediaType,
  parseJson,
  parseMediaType,
  responseContent,
  type HostSchemas,
} from '../lib/index.js'

/** Error answers a backend connector may send instead of an upstream response. */
export const BACKEND_ERRORS: ReadonlySet<ErrorCode> = new Set<ErrorCode>([
  'UPSTREAM_UNAVAILABLE',
  'UPSTREAM_TIMEOUT',
  'RESPONSE_TOO_LARGE',
  // its dead-letter path
  'BUS_UNAVAILABLE',
  'INTERNAL_ERROR',
])

export interface ResponseValidatorOptions {
  hosts: Record<string, HostSchemas>
}

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
    const subject = subjects.cleanResponse('response-validator', request.host)
    const refuse = (error: GatewayError): ResponseVerdict => ({
      kind: 'publish',
      subject,
      wire: encodeResponse(errorResponse(request, error)),
      requestId,
      status: error.status,
      code: error.code,
      reason: error.reason ?? error.code,
      refused: true,
    })
    try {
      const out = check(env, msg.subject, options)
      const verdict: ResponseVerdict = {
        kind: 'publish',
        subject,
        wire: encodeResponse(out),
        requestId,
        status: out.status,
        refused: false,
      }
      if (out.error) verdict.code = out.error
      return verdict
    } catch (e) {
      if (e instanceof GatewayError) return refuse(e)
      throw e
    }
  }
}

function check(
  env: ResponseEnvelope,
  subject: string,
  options: ResponseValidatorOptions,
): ResponseEnvelope {
  const { request } = env
  // The broker lets each backend connector publish only on its own host's subject.
  if (subject !== subjects.dirtyResponse(request.host)) {
    throw new GatewayError('ENVELOPE_INVALID', {
      reason: `subject ${subject} does not match host ${request.host}`,
    })
  }
  if (env.error) {
    // An error answer carries no upstream content: rebuild it so nothing else rides along.
    if (!BACKEND_ERRORS.has(env.error)) {
      throw new GatewayError('INTERNAL_ERROR', { reason: `backend sent error ${env.error}` })
    }
    return errorResponse(request, new GatewayError(env.error))
  }
  const host = Object.hasOwn(options.hosts, request.host) ? options.hosts[request.host] : undefined
  const match = host && matchRoute(host.routes, request.method, request.path, request.port)
  if (!host || !match || !match.ok) {
    throw new GatewayError('ENVELOPE_INVALID', {
      reason: `no route for ${request.method} ${request.path}`,
    })
  }
  const op = host.operations.get(match.route.operation)!
  const content = responseContent(op, env.status)
  if (!content) {
    throw new GatewayError('RESPONSE_STATUS_NOT_ALLOWED', {
      reason: `status ${env.status} not declared for ${op.operation}`,
    })
  }
  checkBody(env, content)
  return {
    request,
    status: env.status,
    headers: hardenResponseHeaders(env.headers),
    body: env.body,
  }
}

function violation(reason: string): GatewayError {
  return new GatewayError('RESPONSE_SCHEMA_VIOLATION', { reason })
}

function checkBody(
  env: ResponseEnvelope,
  content: NonNullable<ReturnType<typeof responseContent>>,
): void {
  if (env.body.length === 0) {
    if (
      content.size > 0 &&
      env.request.method !== 'HEAD' &&
      env.status !== 204 &&
      env.status !== 304
    ) {
      throw violation(`status ${env.status} declares content but the body is empty`)
    }
    return
  }
  if (content.size === 0) throw violation(`status ${env.status} declares no content`)
  const media = parseMediaType(headerValue(env.headers, 'content-type'))
  const key = media && matchMediaType(content.keys(), media.essence)
  if (!media || key === undefined) throw violation('content type not declared for the status')
  if (!isJsonMediaType(media.essence)) return
  const parsed = parseJson(env.body)
  if (!parsed.ok) throw violation(parsed.reason)
  const validate = content.get(key)
  if (validate && !validate(parsed.value)) throw violation(describeViolation(validate))
}
