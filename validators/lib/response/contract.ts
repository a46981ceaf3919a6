/**
 * The response contract, step by step (validators/README.md lists the order and why). Each
 * step is a pure check from validators/lib/response; this file only orders them and turns a
 * failure into the gateway error the client sees. The reason names the step and the place,
 * never the upstream's text.
 */
import type { ValidateFunction } from 'ajv'
import {
  errorResponse,
  GatewayError,
  headerValue,
  matchRoute,
  type ErrorCode,
  type HeaderList,
  type ResponseEnvelope,
} from '../../../core/index.js'
import { hardenResponseHeaders } from '../headers.js'
import { parseMediaType } from '../media.js'
import {
  describeViolation,
  responseContent,
  type ContentSchemas,
  type HostSchemas,
} from '../schemas.js'
import {
  declaredMediaType,
  readResponseBody,
  scanTextOf,
  withNosniff,
  type BodyContent,
} from './content-type.js'
import { hardenSetCookie } from './cookies.js'
import { ScanText } from './leaks.js'
import { pruneUndeclared, type SchemaNode } from './prune.js'
import type { ResponseHostRules, ResponseOperationRules } from './rules.js'

/** Error answers a backend connector may send instead of an upstream response. */
export const BACKEND_ERRORS: ReadonlySet<ErrorCode> = new Set<ErrorCode>([
  'UPSTREAM_UNAVAILABLE',
  'UPSTREAM_TIMEOUT',
  'RESPONSE_TOO_LARGE',
  // its dead-letter path
  'BUS_UNAVAILABLE',
  'INTERNAL_ERROR',
])

export interface ResponseContract {
  hosts: Record<string, HostSchemas>
  /** Per host: `compileResponseRulesFor(config.openapi, config.validation.response)`. */
  rules: Record<string, ResponseHostRules>
}

export interface Checked {
  /** What goes to the client. */
  out: ResponseEnvelope
  /** JSON pointers of the undeclared members dropped (policy `drop`); empty otherwise. */
  dropped: string[]
}

/** At most this many dropped members are named in a verdict. */
const MAX_NAMED = 20
const encoder = new TextEncoder()

function violation(reason: string): GatewayError {
  return new GatewayError('RESPONSE_SCHEMA_VIOLATION', { reason })
}

/** Printable ASCII, capped: places hold the upstream's own keys and go to a log line. */
function printable(text: string): string {
  return text.replace(/[^\x20-\x7e]/g, '?').slice(0, 120)
}

export function checkResponse(env: ResponseEnvelope, contract: ResponseContract): Checked {
  const { request } = env
  if (env.error) {
    // An error answer carries no upstream content: rebuild it so nothing else rides along.
    if (!BACKEND_ERRORS.has(env.error)) {
      throw new GatewayError('INTERNAL_ERROR', { reason: `backend sent error ${env.error}` })
    }
    return { out: errorResponse(request, new GatewayError(env.error)), dropped: [] }
  }
  const has = (o: object) => Object.hasOwn(o, request.host)
  const host = has(contract.hosts) ? contract.hosts[request.host] : undefined
  const hostRules = has(contract.rules) ? contract.rules[request.host] : undefined
  const match = host && matchRoute(host.routes, request.method, request.path, request.port)
  if (!host || !hostRules || !match || !match.ok) {
    throw new GatewayError('ENVELOPE_INVALID', {
      reason: `no route for ${request.method} ${request.path}`,
    })
  }
  const op = host.operations.get(match.route.operation)!
  const rules = hostRules.operations.get(op.operation)!
  const headers = hardenResponseHeaders(env.headers)

  // 1. Read the body as the upstream labels it, once; a failure is refused in step 3.
  const media =
    env.body.length > 0 ? parseMediaType(headerValue(headers, 'content-type')) : undefined
  const read = media && readResponseBody(env.body, media, hostRules)

  // 2. Leaks, in everything that could reach the client, whatever the status or the schema.
  const content: BodyContent | undefined = read?.ok ? read.content : undefined
  refuseLeaks(env, headers, content, rules)

  // 3. The status, then the body against what the status declares.
  const declared = responseContent(op, env.status)
  if (!declared) {
    throw new GatewayError('RESPONSE_STATUS_NOT_ALLOWED', {
      reason: `status ${env.status} not declared for ${op.operation}`,
    })
  }
  const { body, dropped } = checkBody(env, headers, declared, read, rules, hostRules)

  // 4. Headers: cookies forced Secure, HttpOnly, SameSite; no sniffing.
  return {
    out: {
      request,
      status: env.status,
      headers: withNosniff(hardenCookies(headers, hostRules)),
      body,
    },
    dropped,
  }
}

function refuseLeaks(
  env: ResponseEnvelope,
  headers: HeaderList,
  content: BodyContent | undefined,
  rules: ResponseOperationRules,
): void {
  const text = new ScanText('response')
  if (content?.kind === 'json') text.addJson(content.value)
  else if (content?.kind === 'text') text.add(content.text, 'body')
  else if (env.body.length > 0) text.add(scanTextOf(env.body), 'body')
  const cookies = new ScanText('header set-cookie')
  for (const [name, value] of headers) {
    if (name === 'set-cookie') cookies.add(value, 'header set-cookie')
    else text.add(`${name}: ${value}`, `header ${name}`)
  }
  const leak = rules.scanner.find(text) ?? rules.cookieScanner.find(cookies)
  if (leak) {
    throw new GatewayError('RESPONSE_LEAK', { reason: `${leak.signature} in ${leak.where}` })
  }
}

function checkBody(
  env: ResponseEnvelope,
  headers: HeaderList,
  declared: ContentSchemas,
  read: ReturnType<typeof readResponseBody> | undefined,
  rules: ResponseOperationRules,
  hostRules: ResponseHostRules,
): { body: Uint8Array; dropped: string[] } {
  const unchanged = { body: env.body, dropped: [] }
  if (env.body.length === 0) {
    const bodiless = env.request.method === 'HEAD' || env.status === 204 || env.status === 304
    if (declared.size > 0 && !bodiless) {
      throw violation(`status ${env.status} declares content but the body is empty`)
    }
    return unchanged
  }
  if (declared.size === 0) throw violation(`status ${env.status} declares no content`)
  const media = declaredMediaType(headers, declared.keys())
  if (!media.ok) throw violation(media.reason)
  if (!read?.ok) throw violation(read?.reason ?? 'content type is not a media type')
  if (read.content.kind !== 'json') return unchanged
  const validate = declared.get(media.key)
  if (!validate) return unchanged
  return checkJson(read.content.value, validate, rules, hostRules) ?? unchanged
}

/** The schema check; a new body when undeclared members were dropped. */
function checkJson(
  value: unknown,
  validate: ValidateFunction,
  rules: ResponseOperationRules,
  hostRules: ResponseHostRules,
): { body: Uint8Array; dropped: string[] } | undefined {
  const pruned = pruneUndeclared(value, validate.schema as SchemaNode, hostRules.resolve)
  const dropped = pruned.dropped.map(printable)
  if (dropped.length > 0 && rules.undeclaredFields === 'refuse') {
    const more = dropped.length > 1 ? ` and ${dropped.length - 1} more` : ''
    throw violation(`undeclared member ${dropped[0]}${more}`)
  }
  if (!validate(pruned.value)) throw violation(describeViolation(validate))
  if (dropped.length === 0) return undefined
  return {
    body: encoder.encode(JSON.stringify(pruned.value)),
    dropped: dropped.slice(0, MAX_NAMED),
  }
}

function hardenCookies(headers: HeaderList, hostRules: ResponseHostRules): HeaderList {
  return headers.map(([name, value]) => {
    if (name !== 'set-cookie') return [name, value]
    const cookie = hardenSetCookie(value, hostRules.cookieSameSite)
    if (!cookie.ok) throw violation(cookie.reason)
    return [name, cookie.value]
  })
}
