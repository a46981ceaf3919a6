export const REQUEST_ID_HEADER = 'X-Request-Id'

/**
 * Client request headers that never reach the bus: credentials (the token path replaces
 * them), framing the edge recomputes, and addressing the edge owns. Client-claimed addresses
 * (`x-forwarded-*`, `x-real-ip`) and the client's own request id are not trusted.
 */
export const DROPPED_REQUEST_HEADERS = new Set([
  'authorization',
  'host',
  'content-length',
  'x-real-ip',
  'x-request-id',
  // The trace travels in the envelope (trace.ts); the backend sends the upstream its own.
  'traceparent',
  'tracestate',
])

export const DROPPED_REQUEST_PREFIXES = ['cf-', 'x-forwarded-']

/** Upstream response headers the edge sets itself. */
export const DROPPED_RESPONSE_HEADERS = new Set(['content-length', 'x-request-id'])
