/**
 * The upstream call as a span of its own, child of the backend stage's span (runtime/tracing):
 * the `traceparent` the upstream receives names this span as its parent. Without tracing the
 * call is untouched (the header keeps the id `toUpstreamRequest` drew).
 */
import { formatTraceparent } from '../core/index.js'
import { childSpan } from '../runtime/index.js'
import { UPSTREAM_HEADERS } from './headers.js'
import type { UpstreamRequest } from './request.js'
import type { UpstreamResult } from './upstream.js'

export function tracedCall(
  call: (req: UpstreamRequest) => Promise<UpstreamResult>,
): (req: UpstreamRequest) => Promise<UpstreamResult> {
  return async (req) => {
    const span = childSpan(`${req.method} upstream`, {
      'http.request.method': req.method,
      'server.address': req.origin.hostname,
      'url.path': req.path.split('?')[0]!,
    })
    if (!span) return call(req)
    const sent = req.headers[UPSTREAM_HEADERS.traceparent]
    if (typeof sent === 'string') {
      const { traceId, spanId, traceFlags } = span.spanContext()
      const flags = traceFlags & 1 ? '01' : '00'
      req.headers[UPSTREAM_HEADERS.traceparent] = formatTraceparent({
        traceId,
        parentId: spanId,
        flags,
      })
    }
    try {
      const result = await call(req)
      span.setAttribute('http.response.status_code', result.status)
      return result
    } catch (e) {
      span.setAttribute('error.type', e instanceof Error ? e.name : 'error')
      span.setStatus({ code: 2 })
      throw e
    } finally {
      span.end()
    }
  }
}
