export const REQUEST_ID_HEADER = 'X-Request-Id'

/** Connection-level headers (RFC 9110 section 7.6.1): never forwarded in either direction. */
export const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
])

/** Prefixes of header names that never travel in either direction. */
export const INTERNAL_PREFIXES = ['portcullis-', 'proxy-']

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
])

export const DROPPED_REQUEST_PREFIXES = ['cf-', 'x-forwarded-']

/** Upstream response headers the edge sets itself. */
export const DROPPED_RESPONSE_HEADERS = new Set(['content-length', 'x-request-id'])
