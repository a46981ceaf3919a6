/** The HTTP request the connector sends upstream for an envelope. Pure. */
import type { OutgoingHttpHeaders } from 'node:http'
import {
  childOf,
  formatTraceparent,
  GatewayError,
  newSpanId,
  type RequestEnvelope,
} from '../core/index.js'
import { isConditionalRequest } from '../validators/lib/response/conditional.js'
import { ACCEPT_ENCODING, forwardableRequestHeaders, UPSTREAM_HEADERS } from './headers.js'

export interface UpstreamRequest {
  method: string
  /** Scheme, host and port of the upstream. */
  origin: URL
  /** Sent as is: the base URL's path, the envelope's path, the query. No normalisation. */
  path: string
  headers: OutgoingHttpHeaders
  body: Uint8Array
  /** The whole exchange, connect to last body byte. */
  timeoutMs: number
  /** A GET or HEAD with `If-None-Match` or `If-Modified-Since`: a 304 may answer it. */
  conditional: boolean
}

const BODY_METHODS = new Set(['POST', 'PUT', 'PATCH'])

/**
 * `baseUrl + path + ?query`, the forwarded headers plus the request id (also as the
 * idempotency key), the actor and the trace (with `spanId`, this call's span, as the parent),
 * and a timeout that never outlives the request's deadline.
 */
export function toUpstreamRequest(
  env: RequestEnvelope,
  upstream: { baseUrl: string; timeoutMs: number },
  now: number,
  spanId: string = newSpanId(),
): UpstreamRequest {
  // The request validator refuses these; a URL is built only from a path that stays a path.
  if (env.path.includes('?') || env.path.includes('#')) {
    throw new GatewayError('ENVELOPE_INVALID', { reason: 'path carries a query or fragment' })
  }
  const origin = new URL(upstream.baseUrl)
  // A URL object would resolve dot segments and re-encode; the upstream gets the bytes the
  // validator checked.
  const path = origin.pathname.replace(/\/+$/, '') + env.path + (env.query ? `?${env.query}` : '')
  const headers: OutgoingHttpHeaders = {}
  const forwarded = forwardableRequestHeaders(env.headers)
  for (const [name, value] of forwarded) {
    const prev = headers[name]
    headers[name] =
      prev === undefined ? value : Array.isArray(prev) ? [...prev, value] : [String(prev), value]
  }
  headers[UPSTREAM_HEADERS.acceptEncoding] = ACCEPT_ENCODING
  headers[UPSTREAM_HEADERS.requestId] = env.requestId
  headers[UPSTREAM_HEADERS.idempotencyKey] = env.requestId
  if (env.actor) headers[UPSTREAM_HEADERS.actor] = env.actor
  if (env.trace) {
    // The upstream call is a span of its own: its id is the parent the upstream sees.
    const call = childOf(env.trace, spanId)
    headers[UPSTREAM_HEADERS.traceparent] = formatTraceparent(call)
    if (call.state) headers[UPSTREAM_HEADERS.tracestate] = call.state
  }
  if (env.body.length > 0 || BODY_METHODS.has(env.method))
    headers['content-length'] = String(env.body.length)
  return {
    method: env.method,
    origin,
    path,
    headers,
    body: env.body,
    timeoutMs: Math.max(1, Math.min(upstream.timeoutMs, env.deadline - now)),
    conditional: isConditionalRequest(env.method, forwarded),
  }
}
