/**
 * Conditional requests and the upstream's `304 Not Modified`. A 304 answers a conditional
 * `GET` or `HEAD` (`If-None-Match`, `If-Modified-Since`) and OpenAPI documents rarely declare
 * it, so the response contract lets it pass for exactly those requests, whatever the document
 * says, and refuses it for any other (RFC 9110 section 15.4.5).
 *
 * The response validator does not see the request's headers (the envelope carries the request's
 * context, not its headers), so the backend connector, which sent the request, says so: it
 * stamps the dirty response with `Portcullis-Conditional: 1` when the request it sent upstream
 * was conditional, after dropping every `Portcullis-*` header the upstream sent. The stamp
 * rides on dresp, which only the host's connector may publish to, and the contract strips it
 * with every other internal header before anything goes on.
 */
import type { HeaderList, Method } from '../../../core/index.js'

/** The backend connector's stamp on a dirty response: the request it sent was conditional. */
export const CONDITIONAL_STAMP = 'portcullis-conditional'

/** The request headers that make a `GET` or `HEAD` conditional in the sense of a 304. */
const CONDITIONAL_HEADERS: ReadonlySet<string> = new Set(['if-none-match', 'if-modified-since'])

/** Whether a request with this method and these headers can be answered 304. */
export function isConditionalRequest(method: Method, headers: HeaderList): boolean {
  if (method !== 'GET' && method !== 'HEAD') return false
  return headers.some(([name]) => CONDITIONAL_HEADERS.has(name))
}

/** Whether the connector stamped `headers` (a dirty response's) as answering a conditional request. */
export function isStampedConditional(headers: HeaderList): boolean {
  return headers.some(([name, value]) => name === CONDITIONAL_STAMP && value === '1')
}
