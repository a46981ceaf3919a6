/**
 * The request's W3C trace: the client's `traceparent` (and `tracestate`) when they parse, a
 * new trace when they do not or are absent; never a refusal (the recommendation restarts a
 * trace it cannot read). The edge's own span id becomes the parent every later hop sees. The
 * client's headers themselves never travel: the envelope carries the trace (core/trace).
 */
import { createMiddleware } from 'hono/factory'
import { continueTrace, TRACEPARENT_HEADER, TRACESTATE_HEADER } from '../../core/index.js'
import type { IngressEnv } from './types.js'

export function trace() {
  return createMiddleware<IngressEnv>(async (c, next) => {
    const headers = c.req.raw.headers
    c.set('trace', continueTrace(headers.get(TRACEPARENT_HEADER), headers.get(TRACESTATE_HEADER)))
    await next()
  })
}
