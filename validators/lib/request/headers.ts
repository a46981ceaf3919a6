/**
 * Request header hygiene and the allow-list. In order, each a refusal with a stable code:
 * more or longer headers than the policy allows, control characters (CR, LF, NUL) or
 * non-ASCII bytes in a value, a name that is not a lowercase token (HEADER_INVALID); a name
 * that appears twice (the envelope carries repeated lines apart), a single-value header whose
 * value is a list (core's `SINGLE_VALUE_HEADERS`: the edge's runtime joins repeated lines with
 * `, `), Content-Length together with Transfer-Encoding, a Content-Length
 * that is not the body's length (HEADER_INVALID: request smuggling signs); hop-by-hop
 * headers, headers a `Connection` header names, and the gateway's own `portcullis-*`
 * (HEADER_NOT_ALLOWED); then anything outside the route's allow-list (HEADER_NOT_ALLOWED,
 * or dropped when the policy says so).
 */
import {
  connectionNamed,
  GatewayError,
  HEADER_NAME,
  IDEMPOTENCY_KEY_HEADER,
  IDEMPOTENCY_KEY_REFUSALS,
  isWriteMethod,
  isHopByHop,
  isInternalHeader,
  isSingleFieldValue,
  parseIdempotencyKey,
  type HeaderList,
  type Method,
  type RequestValidationPolicy,
} from '../../../core/index.js'

export type HeaderPolicy = RequestValidationPolicy['headers']

/**
 * Headers every route accepts: content negotiation, conditional requests, caching, and what
 * browsers and HTTP libraries send on their own. Entries ending in `*` are prefixes.
 * Credentials (`authorization`, `cookie`), addressing (`host`, `forwarded`, `x-forwarded-*`),
 * method overrides, `content-encoding` (a compressed body the validator cannot read) and
 * `expect` are not here: a route that needs one declares it as a header parameter, or the
 * config adds it (`validation.headers.allow`).
 */
export const DEFAULT_ALLOWED_HEADERS: readonly string[] = [
  'accept',
  'accept-charset',
  'accept-encoding',
  'accept-language',
  'cache-control',
  'content-language',
  'content-length',
  'content-type',
  'dnt',
  'if-match',
  'if-modified-since',
  'if-none-match',
  'if-unmodified-since',
  'origin',
  'pragma',
  'priority',
  'referer',
  'sec-ch-*',
  'sec-fetch-*',
  'sec-gpc',
  'upgrade-insecure-requests',
  'user-agent',
]

export interface HeaderAllowList {
  names: ReadonlySet<string>
  prefixes: readonly string[]
}

export function headerAllowList(entries: Iterable<string>): HeaderAllowList {
  const names = new Set<string>()
  const prefixes: string[] = []
  for (const entry of entries) {
    const lower = entry.toLowerCase()
    if (lower.endsWith('*')) prefixes.push(lower.slice(0, -1))
    else names.add(lower)
  }
  return { names, prefixes }
}

export function isAllowedHeader(list: HeaderAllowList, name: string): boolean {
  return list.names.has(name) || list.prefixes.some((p) => name.startsWith(p))
}

function invalid(detail: string): GatewayError {
  return new GatewayError('HEADER_INVALID', { detail, reason: detail })
}

function notAllowed(name: string, why: string): GatewayError {
  const detail = `header ${name.slice(0, 64)} is not allowed`
  return new GatewayError('HEADER_NOT_ALLOWED', { detail, reason: `${detail}: ${why}` })
}

/** CTLs but HTAB, and DEL; a CR or LF is named on its own (header injection). */
function valueFault(value: string, allowNonAscii: boolean): string | undefined {
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i)
    if (c === 0x0d || c === 0x0a) return 'has a CR or LF'
    if ((c < 0x20 && c !== 0x09) || c === 0x7f) return 'has a control character'
    if (c > 0x7e && !allowNonAscii) return 'has a non-ASCII byte'
    if (c > 0xff) return 'has a character outside Latin-1'
  }
  return undefined
}

const CONTENT_LENGTH = /^[0-9]{1,16}$/

/**
 * Checks the request's headers; returns the list to forward (the same list, or without
 * the headers outside the allow-list when the policy drops them).
 */
export function checkRequestHeaders(
  list: HeaderList,
  bodyLength: number,
  allowed: HeaderAllowList,
  policy: HeaderPolicy,
): HeaderList {
  if (list.length > policy.maxCount) throw invalid(`more than ${policy.maxCount} headers`)
  let total = 0
  const seen = new Set<string>()
  for (const [name, value] of list) {
    if (name.length > policy.maxNameBytes) {
      throw invalid(`a header name is longer than ${policy.maxNameBytes} bytes`)
    }
    if (!HEADER_NAME.test(name)) throw invalid('a header name is not a lowercase token')
    if (value.length > policy.maxValueBytes) {
      throw invalid(`header ${name} is longer than ${policy.maxValueBytes} bytes`)
    }
    total += name.length + value.length
    if (total > policy.maxTotalBytes) {
      throw invalid(`the headers are longer than ${policy.maxTotalBytes} bytes together`)
    }
    const fault = valueFault(value, policy.allowNonAscii)
    if (fault) throw invalid(`header ${name} ${fault}`)
    if (seen.has(name)) throw invalid(`header ${name} appears more than once`)
    seen.add(name)
    if (!isSingleFieldValue(name, value)) throw invalid(`header ${name} must have one value`)
  }
  if (seen.has('content-length') && seen.has('transfer-encoding')) {
    throw invalid('both content-length and transfer-encoding')
  }
  if (seen.has('content-length')) {
    const declared = list.find(([n]) => n === 'content-length')![1]
    if (!CONTENT_LENGTH.test(declared) || Number(declared) !== bodyLength) {
      throw invalid('content-length does not match the body')
    }
  }
  const named = connectionNamed(list)
  let kept: HeaderList | undefined
  for (let i = 0; i < list.length; i++) {
    const name = list[i]![0]
    if (isHopByHop(name)) throw notAllowed(name, 'hop-by-hop')
    if (named.has(name)) throw notAllowed(name, 'named by connection')
    if (isInternalHeader(name)) throw notAllowed(name, 'internal')
    if (name === IDEMPOTENCY_KEY_HEADER) {
      // On every route, in its one grammar (checkIdempotencyKey); never dropped, never refused
      // as unknown: a client relies on it.
      if (parseIdempotencyKey(list[i]![1]) === undefined) throw badIdempotencyKey('not a key')
      kept?.push(list[i]!)
      continue
    }
    if (isAllowedHeader(allowed, name)) {
      kept?.push(list[i]!)
      continue
    }
    if (policy.unknown === 'refuse') throw notAllowed(name, 'not in the allow-list')
    kept ??= list.slice(0, i)
  }
  return kept ?? list
}

function badIdempotencyKey(why: keyof typeof IDEMPOTENCY_KEY_REFUSALS): GatewayError {
  return new GatewayError('IDEMPOTENCY_KEY_INVALID', {
    detail: IDEMPOTENCY_KEY_REFUSALS[why],
    reason: `Idempotency-Key: ${why}`,
  })
}

/**
 * The client's `Idempotency-Key` (after `checkRequestHeaders`, which judged its grammar): a key
 * is replayed per verified caller (backend/README.md), so one on a non-safe request without an
 * actor is refused rather than silently not honoured. On a safe method it is forwarded and has
 * no effect (a GET is idempotent already).
 */
export function checkIdempotencyKey(
  list: HeaderList,
  method: Method,
  actor: string | undefined,
): void {
  if (actor !== undefined || !isWriteMethod(method)) return
  for (const [name] of list)
    if (name === IDEMPOTENCY_KEY_HEADER) throw badIdempotencyKey('anonymous')
}
