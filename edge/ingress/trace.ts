/**
 * The request's W3C trace: the client's `traceparent` (and `tracestate`) when they parse, a
 * new trace when they do not or are absent; never a refusal (the recommendation restarts a
 * trace it cannot read). The edge's own span id becomes the parent every later hop sees. The
 * client's headers themselves never travel: the envelope carries the trace (core/trace).
 */
import { createMiddleware } from 'hono/factory'
import {
  asGatewayError,
  continueTrace,
  parseTraceparent,
  TRACEPARENT_HEADER,
  TRACESTATE_HEADER,
} from '../../core/index.js'
import type { SpanExport } from './span.js'
import type { IngressEnv } from './types.js'

export function trace(exportSpan: SpanExport | undefined, now: () => number) {
  return createMiddleware<IngressEnv>(async (c, next) => {
    const started = now()
    const headers = c.req.raw.headers
    const sent = headers.get(TRACEPARENT_HEADER)
    const t = continueTrace(sent, headers.get(TRACESTATE_HEADER))
    c.set('trace', t)
    await next()
    if (!exportSpan) return
    const client = sent === null ? undefined : parseTraceparent(sent)
    const target = c.get('target')
    const exported = exportSpan({
      traceId: t.traceId,
      spanId: t.parentId,
      ...(client?.traceId === t.traceId && { parentSpanId: client.parentId }),
      startMs: started,
      endMs: now(),
      attributes: {
        'portcullis.request_id': c.get('requestId'),
        'http.request.method': c.req.method.slice(0, 16),
        'http.response.status_code': c.res.status,
        ...(target && { 'server.address': target.host, 'url.path': target.path }),
      },
      ...(c.error && { error: asGatewayError(c.error).code }),
    })
    try {
      c.executionCtx.waitUntil(exported)
    } catch {
      // No execution context (a test calling the app directly): the export runs on its own.
    }
  })
}
