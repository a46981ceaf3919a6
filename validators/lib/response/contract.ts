/**
 * The response contract, step by step (validators/README.md lists the order and why). Each
 * step is a pure check from validators/lib/response; this file only orders them and turns a
 * failure into the gateway error the client sees. The reason names the step and the place,
 * never the upstream's text.
 */
import type { ValidateFunction } from 'ajv'
import {
  errorResponse,
  failureReason,
  GatewayError,
  headerValue,
  isWriteMethod,
  matchRoute,
  type ErrorCode,
  type HeaderList,
  type Method,
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
import { isStampedConditional } from './conditional.js'
import {
  declaredMediaType,
  readResponseBody,
  scanTextOf,
  withNosniff,
  type BodyContent,
} from './content-type.js'
import { hardenSetCookie } from './cookies.js'
import { ScanText } from './leaks.js'
import { maskUserData, pruneUndeclared, type SchemaNode } from './prune.js'
import { userDataSchemaFor, type ResponseHostRules, type ResponseOperationRules } from './rules.js'

/** Error answers a backend connector may send instead of an upstream response. */
export const BACKEND_ERRORS: ReadonlySet<ErrorCode> = new Set<ErrorCode>([
  'UPSTREAM_UNAVAILABLE',
  'UPSTREAM_TIMEOUT',
  'RESPONSE_TOO_LARGE',
  // the connection broke after a non-safe request was sent
  'WRITE_OUTCOME_UNKNOWN',
  // its dead-letter path
  'BUS_UNAVAILABLE',
  // a client's Idempotency-Key (backend/README.md): reused, in flight, no record, its grammar
  'IDEMPOTENCY_KEY_REUSED',
  'IDEMPOTENCY_KEY_IN_FLIGHT',
  'IDEMPOTENCY_STORE_UNAVAILABLE',
  'IDEMPOTENCY_KEY_INVALID',
  'INTERNAL_ERROR',
])

/** Whether the upstream may have applied a request with this method whatever its answer says. */
export function mayHaveWritten(method: Method): boolean {
  return isWriteMethod(method)
}

/**
 * A refusal of the upstream's answer to a non-safe request: the client must learn that the
 * write may have been applied, not only that the answer was bad (`WRITE_OUTCOME_UNKNOWN`,
 * whose problem says `upstreamMayHaveCommitted: true`). The refusal's own code goes into the
 * detail and the reason.
 */
export function refusedAfterWrite(error: GatewayError): GatewayError {
  return new GatewayError('WRITE_OUTCOME_UNKNOWN', {
    detail: `the upstream answered and its answer was refused (${error.code})`,
    reason: failureReason(error),
  })
}

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
    let error = new GatewayError(env.error)
    if (env.error === 'RESPONSE_TOO_LARGE' && mayHaveWritten(request.method)) {
      error = refusedAfterWrite(error)
    }
    return { out: errorResponse(request, error), dropped: [] }
  }
  try {
    return judge(env, contract)
  } catch (e) {
    if (e instanceof GatewayError && mayHaveWritten(request.method)) throw refusedAfterWrite(e)
    throw e
  }
}

/** The upstream's own answer, step by step (validators/README.md). */
function judge(env: ResponseEnvelope, contract: ResponseContract): Checked {
  const { request } = env
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
  // 0. Only unencoded bodies are judged (the connector asks for `identity`), and the
  //    connector's stamp is read before the internal headers go.
  refuseContentCoding(env.headers)
  const conditional = isStampedConditional(env.headers)
  const headers = hardenResponseHeaders(env.headers).filter(([n]) => n !== 'content-encoding')
  if (env.status === 304) return notModified(env, headers, conditional, rules, hostRules)

  // 1. Read the body as the upstream labels it, once; a failure is refused in step 3.
  const media =
    env.body.length > 0 ? parseMediaType(headerValue(headers, 'content-type')) : undefined
  const read = media && readResponseBody(env.body, media, hostRules)

  // 2. Leaks, in everything that could reach the client, whatever the status or the schema;
  //    the client's own text (user-data members of the declared schema) is not a leak.
  const declared = responseContent(op, env.status)
  let content: BodyContent | undefined = read?.ok ? read.content : undefined
  if (content?.kind === 'json' && declared) {
    const key = declaredMediaType(headers, declared.keys())
    const marked = key.ok ? userDataSchemaFor(rules, env.status, key.key) : undefined
    if (marked !== undefined) {
      content = {
        kind: 'json',
        value: maskUserData(content.value, marked, hostRules.resolveWritten),
      }
    }
  }
  refuseLeaks(env, headers, content, rules)

  // 3. The status, then the body against what the status declares.
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

/** Every `Content-Encoding` must be `identity` (or empty): an encoded body is never passed on unread. */
function refuseContentCoding(headers: HeaderList): void {
  for (const [name, value] of headers) {
    if (name !== 'content-encoding') continue
    for (const part of value.split(',')) {
      const coding = part.trim().toLowerCase()
      if (coding !== '' && coding !== 'identity') {
        throw violation(
          `content-encoding ${printable(coding)}: the upstream was asked for identity`,
        )
      }
    }
  }
}

/**
 * A 304 passes only as the answer to a conditional GET or HEAD (the connector's stamp), declared
 * or not, and never with a body; its headers are scanned and hardened like any others.
 */
function notModified(
  env: ResponseEnvelope,
  headers: HeaderList,
  conditional: boolean,
  rules: ResponseOperationRules,
  hostRules: ResponseHostRules,
): Checked {
  const { method } = env.request
  if (!conditional || (method !== 'GET' && method !== 'HEAD')) {
    throw new GatewayError('RESPONSE_STATUS_NOT_ALLOWED', {
      reason: `304 to a ${method} that was not conditional`,
    })
  }
  refuseLeaks(env, headers, undefined, rules)
  if (env.body.length > 0) throw violation('a 304 with a body')
  return {
    out: {
      request: env.request,
      status: 304,
      headers: withNosniff(hardenCookies(headers, hostRules)),
      body: env.body,
    },
    dropped: [],
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
    // A write-only member (a password sent back) is named first: it is the worse news.
    const writeOnly = pruned.writeOnly[0]
    const first =
      writeOnly === undefined
        ? `undeclared member ${dropped[0]}`
        : `write-only member ${printable(writeOnly)}`
    throw violation(`${first}${more}`)
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
