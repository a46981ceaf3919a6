/** Which headers cross from the envelope to the upstream and back. */
import {
  connectionNamed,
  ENVELOPE_LIMITS,
  HEADER_NAME,
  HEADER_VALUE,
  isHopByHop,
  withoutHopAndInternal,
  type HeaderList,
} from '../core/index.js'

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
])

export const UPSTREAM_HEADERS = {
  requestId: 'x-request-id',
  idempotencyKey: 'idempotency-key',
  actor: 'portcullis-actor',
} as const

export function forwardableRequestHeaders(list: HeaderList): HeaderList {
  return withoutHopAndInternal(list).filter(([name]) => !NOT_FORWARDED.has(name))
}

export type ResponseHeaders =
  { ok: true; headers: HeaderList } | { ok: false; tooLarge: boolean; reason: string }

/**
 * The upstream's response headers as an envelope carries them: lowercase names, framing
 * headers gone (the body travels as bytes), within the envelope's limits.
 */
export function readResponseHeaders(raw: string[]): ResponseHeaders {
  const list: HeaderList = []
  for (let i = 0; i + 1 < raw.length; i += 2) list.push([raw[i]!.toLowerCase(), raw[i + 1]!])
  const named = connectionNamed(list)
  const headers = list.filter(
    ([name]) => !isHopByHop(name) && !named.has(name) && name !== 'content-length',
  )
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
