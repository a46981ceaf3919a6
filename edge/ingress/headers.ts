/**
 * Which headers cross the edge. Names are lowercase on both sides (the Headers class and
 * envelopes agree on that).
 *
 * What the worker sees (measured in workerd under `wrangler dev` with raw requests): workerd
 * consumes `Connection`, `Keep-Alive`, `TE`, `Trailer`, `Upgrade` and `Transfer-Encoding`
 * itself, but passes on the headers a `Connection` header names, `HTTP2-Settings` and the
 * `Proxy-*` headers; it refuses a repeated `Content-Length` or `Host` before the worker runs,
 * and joins every other repeated header into one value with `, ` (only `Set-Cookie` can be
 * read apart). So the edge drops the hop-by-hop set, and the headers `Connection` names when
 * it still sees one (another runtime, or a request built in code); a single-value header
 * whose value is a list is a repeat or a forgery and is refused (HEADER_INVALID).
 */
import {
  connectionNamed,
  ENVELOPE_LIMITS,
  GatewayError,
  IDEMPOTENCY_KEY_HEADER,
  IDEMPOTENCY_KEY_REFUSALS,
  isHopByHop,
  isInternalHeader,
  parseIdempotencyKey,
  singleValueFault,
  type HeaderList,
} from '../../core/index.js'
import {
  DROPPED_REQUEST_HEADERS,
  DROPPED_REQUEST_PREFIXES,
  DROPPED_RESPONSE_HEADERS,
} from './constants.js'

function startsWithAny(name: string, prefixes: readonly string[]): boolean {
  return prefixes.some((p) => name.startsWith(p))
}

/** Internal and connection-level headers: stripped in both directions. */
export function isInternalOrHopByHop(name: string): boolean {
  return isHopByHop(name) || isInternalHeader(name)
}

export function isForwardedRequestHeader(name: string): boolean {
  return (
    !isInternalOrHopByHop(name) &&
    !DROPPED_REQUEST_HEADERS.has(name) &&
    !startsWithAny(name, DROPPED_REQUEST_PREFIXES)
  )
}

/**
 * The client headers that travel on the bus. Refuses (400) what an envelope cannot carry,
 * so the request fails here with a clear code rather than as an envelope error on-prem, and
 * a single-value header that is a list (HEADER_INVALID, core's `singleValueFault`), dropped
 * ones (`Host`, `Authorization`) included. Drops the hop-by-hop headers and those a
 * `Connection` header names.
 */
export function requestHeaders(headers: Headers): HeaderList {
  const fault = singleValueFault(headers)
  if (fault) {
    const detail = `header ${fault.name} must have one value`
    throw new GatewayError('HEADER_INVALID', { detail, reason: `${detail}: ${fault.why}` })
  }
  // The client's Idempotency-Key: one quoted key of 1..255 visible characters (core's grammar,
  // judged again by the request validator), refused here before it travels.
  const idempotencyKey = headers.get(IDEMPOTENCY_KEY_HEADER)
  if (idempotencyKey !== null && parseIdempotencyKey(idempotencyKey) === undefined) {
    throw new GatewayError('IDEMPOTENCY_KEY_INVALID', {
      detail: IDEMPOTENCY_KEY_REFUSALS['not a key'],
      reason: 'Idempotency-Key: not a key',
    })
  }
  const connection = headers.get('connection')
  const named = connection === null ? undefined : connectionNamed([['connection', connection]])
  const list: HeaderList = []
  for (const [name, value] of headers) {
    const lower = name.toLowerCase()
    if (!isForwardedRequestHeader(lower) || named?.has(lower)) continue
    if (value.length > ENVELOPE_LIMITS.maxHeaderValueBytes) {
      throw new GatewayError('BAD_REQUEST', { detail: `header ${lower.slice(0, 64)} is too long` })
    }
    list.push([lower, value])
  }
  if (list.length > ENVELOPE_LIMITS.maxHeaders) {
    throw new GatewayError('BAD_REQUEST', { detail: 'too many headers' })
  }
  return list
}

/** The upstream's headers as the client sees them. */
export function responseHeaders(list: HeaderList): Headers {
  const headers = new Headers()
  for (const [name, value] of list) {
    const lower = name.toLowerCase()
    if (isInternalOrHopByHop(lower) || DROPPED_RESPONSE_HEADERS.has(lower)) continue
    headers.append(lower, value)
  }
  return headers
}
