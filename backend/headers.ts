/** Which headers cross from the envelope to the upstream and back. */
import {
  ENVELOPE_LIMITS,
  HEADER_NAME,
  HEADER_VALUE,
  withoutHopAndInternal,
  type HeaderList,
} from '../core/index.js'
import { CONDITIONAL_STAMP } from '../validators/lib/response/conditional.js'

/**
 * Request headers the connector sets itself or never forwards: framing and the host come
 * from this hop, the request id and idempotency key from the envelope, and the client's
 * credentials never reach the upstream (the edge already strips them; this is the second
 * line).
 */
const NOT_FORWARDED = new Set([
  'host',
  'content-length',
  'expect',
  'authorization',
  'x-request-id',
  'idempotency-key',
  // set by this hop: the answer must be one the validators can read (identity)
  'accept-encoding',
  // set by this hop from the envelope's trace, this call as the parent (core/trace)
  'traceparent',
  'tracestate',
])

export const UPSTREAM_HEADERS = {
  requestId: 'x-request-id',
  idempotencyKey: 'idempotency-key',
  actor: 'portcullis-actor',
  acceptEncoding: 'accept-encoding',
  traceparent: 'traceparent',
  tracestate: 'tracestate',
} as const

/**
 * What the connector asks of every upstream: no content coding. The response validator judges
 * the bytes it is given; a compressed answer would be a body nobody read (it is refused).
 */
export const ACCEPT_ENCODING = 'identity'

export function forwardableRequestHeaders(list: HeaderList): HeaderList {
  return withoutHopAndInternal(list).filter(([name]) => !NOT_FORWARDED.has(name))
}

export type ResponseHeaders =
  { ok: true; headers: HeaderList } | { ok: false; tooLarge: boolean; reason: string }

/**
 * The upstream's response headers as an envelope carries them: lowercase names, framing
 * headers gone (the body travels as bytes), the gateway's own `portcullis-*` names gone (an
 * upstream cannot forge the connector's stamps), within the envelope's limits.
 */
export function readResponseHeaders(raw: string[]): ResponseHeaders {
  const list: HeaderList = []
  for (let i = 0; i + 1 < raw.length; i += 2) list.push([raw[i]!.toLowerCase(), raw[i + 1]!])
  const headers = withoutHopAndInternal(list).filter(([name]) => name !== 'content-length')
  if (headers.length > ENVELOPE_LIMITS.maxHeaders) {
    return { ok: false, tooLarge: true, reason: `${headers.length} response headers` }
  }
  for (const [name, value] of headers) {
    if (value.length > ENVELOPE_LIMITS.maxHeaderValueBytes) {
      return { ok: false, tooLarge: true, reason: `response header ${name} too long` }
    }
    if (!HEADER_NAME.test(name) || !HEADER_VALUE.test(value)) {
      return {
        ok: false,
        tooLarge: false,
        reason: 'response header with characters an envelope cannot carry',
      }
    }
  }
  return { ok: true, headers }
}

/**
 * The upstream's headers for the dirty response, with the connector's stamp when the request
 * it sent was conditional (validators/lib/response/conditional.ts): only this hop knows.
 */
export function stampResponseHeaders(
  sent: { conditional: boolean },
  headers: HeaderList,
): HeaderList {
  return sent.conditional ? [...headers, [CONDITIONAL_STAMP, '1']] : headers
}
