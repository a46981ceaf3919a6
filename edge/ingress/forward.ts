/**
 * The last step: the checked request becomes an envelope, goes over the link, and the
 * answer becomes the client's response. An answer with `error` set is rendered as a
 * problem by the error handler, like any refusal at the edge.
 */
import type { Context } from 'hono'
import {
  GatewayError,
  headerValue,
  IDEMPOTENCY_KEY_HEADER,
  IDEMPOTENCY_KEY_REFUSALS,
  isWriteMethod,
  type EdgePolicy,
  type Method,
  type RequestEnvelope,
  type ResponseEnvelope,
} from '../../core/index.js'
import { requestHeaders, responseHeaders } from './headers.js'
import type { IngressEnv, Link } from './types.js'

const NULL_BODY_STATUSES = new Set([204, 205, 304])

export function buildEnvelope(c: Context<IngressEnv>, deadline: number): RequestEnvelope {
  const target = c.get('target')
  const actor = c.get('actor')
  const method = c.req.raw.method as Method
  const headers = requestHeaders(c.req.raw.headers)
  // A write's key is replayed per verified caller: without one it is refused here, and again
  // by the request validator (core's IDEMPOTENCY_KEY_REFUSALS).
  if (
    actor === undefined &&
    isWriteMethod(method) &&
    headerValue(headers, IDEMPOTENCY_KEY_HEADER) !== undefined
  ) {
    throw new GatewayError('IDEMPOTENCY_KEY_INVALID', {
      detail: IDEMPOTENCY_KEY_REFUSALS.anonymous,
      reason: 'Idempotency-Key: anonymous',
    })
  }
  return {
    requestId: c.get('requestId'),
    deadline,
    method,
    host: target.host,
    port: target.port,
    path: target.path,
    query: target.query,
    headers,
    ...(actor === undefined ? {} : { actor }),
    trace: c.get('trace'),
    body: c.get('body'),
  }
}

export function toResponse(answer: ResponseEnvelope, method: string): Response {
  if (answer.error) {
    const options: { detail?: string; reason: string } = { reason: `answered with ${answer.error}` }
    if (answer.detail) options.detail = answer.detail
    throw new GatewayError(answer.error, options)
  }
  if (answer.status < 200 || answer.status > 599) {
    throw new GatewayError('ENVELOPE_INVALID', { reason: `status ${answer.status} cannot be sent` })
  }
  const empty = NULL_BODY_STATUSES.has(answer.status) || method === 'HEAD'
  return new Response(empty ? null : answer.body, {
    status: answer.status,
    headers: responseHeaders(answer.headers),
  })
}

export function forward(policy: EdgePolicy, link: Link, now: () => number) {
  return async (c: Context<IngressEnv>): Promise<Response> => {
    const deadline = now() + policy.limits.deadlineMs
    const envelope = buildEnvelope(c, deadline)
    // From here on a failure is the link's or a later stage's, not an edge refusal.
    c.set('forwarded', true)
    const answer = await link.send(envelope, deadline - now())
    if (answer.request.requestId !== envelope.requestId) {
      throw new GatewayError('ENVELOPE_INVALID', { reason: 'answer is for another request' })
    }
    return toResponse(answer, envelope.method)
  }
}
