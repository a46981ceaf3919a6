/**
 * Which headers cross the edge. Names are lowercase on both sides (the Headers class and
 * envelopes agree on that).
 */
import {
  ENVELOPE_LIMITS,
  GatewayError,
  isHopByHop,
  isInternalHeader,
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
 * so the request fails here with a clear code rather than as an envelope error on-prem.
 */
export function requestHeaders(headers: Headers): HeaderList {
  const list: HeaderList = []
  for (const [name, value] of headers) {
    const lower = name.toLowerCase()
    if (!isForwardedRequestHeader(lower)) continue
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
