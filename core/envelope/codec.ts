/**
 * The envelope codec: how a request and its response travel on every bus.
 *
 * The body rides as the raw message payload; everything else is a NATS header, so no stage
 * copies or re-encodes a body to read its metadata. Every stage decodes what it receives
 * with these functions and refuses what does not fit (`ENVELOPE_INVALID`).
 */
import type { MsgHdrs } from '@nats-io/nats-core'
import { failureReason, GatewayError, isErrorCode } from '../errors/index.js'
import { isInboxOf, isSubjectToken } from '../subjects/index.js'
import { formatTraceparent, parseTraceparent, parseTracestate } from '../trace/index.js'
import { isRequestId } from './context.js'
import { ENVELOPE_HEADERS as H, HTTP_HEADER_PREFIX, MSG_ID_HEADER } from './names.js'
import {
  ENVELOPE_LIMITS,
  ENVELOPE_VERSION,
  HEADER_NAME,
  HEADER_VALUE,
  METHODS,
  type HeaderList,
  type Method,
  type RequestContext,
  type RequestEnvelope,
  type ResponseEnvelope,
  type WireMessage,
} from './types.js'
import { WireHeaders } from './wire-headers.js'

const PATH = /^\/[\x21-\x7e]*$/
const QUERY = /^[\x21-\x7e]*$/
const OPERATION = /^[A-Za-z0-9_.:/{}-]{1,256}$/

function invalid(reason: string): GatewayError {
  return new GatewayError('ENVELOPE_INVALID', { reason: `envelope: ${reason}` })
}

function putContext(h: MsgHdrs, ctx: RequestContext, kind: 'request' | 'response'): void {
  h.set(H.version, ENVELOPE_VERSION)
  h.set(H.kind, kind)
  h.set(H.requestId, ctx.requestId)
  h.set(H.deadline, String(ctx.deadline))
  h.set(H.method, ctx.method)
  h.set(H.host, ctx.host)
  h.set(H.port, String(ctx.port))
  h.set(H.path, ctx.path)
  if (ctx.query) h.set(H.query, ctx.query)
  if (ctx.edgeId) h.set(H.edgeId, ctx.edgeId)
  if (ctx.replyTo) h.set(H.replyTo, ctx.replyTo)
  if (ctx.operation) h.set(H.operation, ctx.operation)
  if (ctx.receivedAt !== undefined) h.set(H.receivedAt, String(ctx.receivedAt))
  if (ctx.trace) {
    h.set(H.traceparent, formatTraceparent(ctx.trace))
    if (ctx.trace.state) h.set(H.tracestate, ctx.trace.state)
  }
}

function putHttpHeaders(h: MsgHdrs, list: HeaderList): void {
  for (const [name, value] of list) h.append(HTTP_HEADER_PREFIX + name, value)
}

export function encodeRequest(env: RequestEnvelope): WireMessage {
  const h = new WireHeaders()
  putContext(h, env, 'request')
  if (env.actor) h.set(H.actor, env.actor)
  putHttpHeaders(h, env.headers)
  h.set(MSG_ID_HEADER, env.requestId)
  return { headers: h, data: env.body }
}

export function encodeResponse(env: ResponseEnvelope): WireMessage {
  const h = new WireHeaders()
  putContext(h, env.request, 'response')
  h.set(H.status, String(env.status))
  if (env.error) h.set(H.error, env.error)
  if (env.detail) h.set(H.detail, env.detail.slice(0, ENVELOPE_LIMITS.maxDetailBytes))
  putHttpHeaders(h, env.headers)
  h.set(MSG_ID_HEADER, env.request.requestId)
  return { headers: h, data: env.body }
}

/** A message's header fields by exact name, read in one pass (a lookup per field after). */
type Fields = ReadonlyMap<string, readonly string[]>

function fieldsOf(h: MsgHdrs | undefined): Fields {
  if (!h) throw invalid('no headers')
  return new Map(h)
}

function one(h: Fields, key: string, required: true): string
function one(h: Fields, key: string, required: false): string | undefined
function one(h: Fields, key: string, required: boolean): string | undefined {
  const values = h.get(key) ?? []
  if (values.length > 1) throw invalid(`${key} appears ${values.length} times`)
  if (values.length === 0) {
    if (required) throw invalid(`${key} is missing`)
    return undefined
  }
  return values[0]
}

function integer(text: string, key: string, min: number, max: number): number {
  if (!/^[0-9]{1,16}$/.test(text)) throw invalid(`${key} is not an integer`)
  const n = Number(text)
  if (n < min || n > max) throw invalid(`${key} is out of range`)
  return n
}

function readContext(h: Fields, kind: 'request' | 'response'): RequestContext {
  const version = one(h, H.version, true)
  if (version !== ENVELOPE_VERSION) throw invalid(`unsupported version ${version.slice(0, 8)}`)
  if (one(h, H.kind, true) !== kind) throw invalid(`not a ${kind}`)
  const requestId = one(h, H.requestId, true)
  if (!isRequestId(requestId)) throw invalid('bad request id')
  const method = one(h, H.method, true)
  if (!(METHODS as readonly string[]).includes(method)) throw invalid('method not carried')
  const host = one(h, H.host, true)
  if (!isSubjectToken(host)) throw invalid('bad host')
  const path = one(h, H.path, true)
  if (path.length > ENVELOPE_LIMITS.maxPathBytes || !PATH.test(path)) throw invalid('bad path')
  const query = one(h, H.query, false) ?? ''
  if (query.length > ENVELOPE_LIMITS.maxQueryBytes || !QUERY.test(query)) {
    throw invalid('bad query')
  }
  const ctx: RequestContext = {
    requestId,
    deadline: integer(one(h, H.deadline, true), H.deadline, 1, Number.MAX_SAFE_INTEGER),
    method: method as Method,
    host,
    port: integer(one(h, H.port, true), H.port, 1, 65535),
    path,
    query,
  }
  const edgeId = one(h, H.edgeId, false)
  if (edgeId !== undefined) {
    if (!isSubjectToken(edgeId)) throw invalid('bad edge id')
    ctx.edgeId = edgeId
  }
  const replyTo = one(h, H.replyTo, false)
  if (replyTo !== undefined) {
    if (!ctx.edgeId || !isInboxOf(replyTo, ctx.edgeId))
      throw invalid('reply is not an inbox of the edge')
    ctx.replyTo = replyTo
  }
  const operation = one(h, H.operation, false)
  if (operation !== undefined) {
    if (!OPERATION.test(operation)) throw invalid('bad operation')
    ctx.operation = operation
  }
  const receivedAt = one(h, H.receivedAt, false)
  if (receivedAt !== undefined) {
    ctx.receivedAt = integer(receivedAt, H.receivedAt, 1, Number.MAX_SAFE_INTEGER)
  }
  const traceparent = one(h, H.traceparent, false)
  if (traceparent !== undefined) {
    const parsed = traceparent.startsWith('00-') ? parseTraceparent(traceparent) : undefined
    if (!parsed) throw invalid('bad traceparent')
    const state = one(h, H.tracestate, false)
    let ok: string | undefined
    if (state !== undefined && (ok = parseTracestate(state)) !== state) {
      throw invalid('bad tracestate')
    }
    ctx.trace = { ...parsed, ...(ok && { state: ok }) }
  }
  return ctx
}

function readHttpHeaders(h: Fields): HeaderList {
  const list: HeaderList = []
  for (const [key, values] of h) {
    if (!key.startsWith(HTTP_HEADER_PREFIX)) continue
    const name = key.slice(HTTP_HEADER_PREFIX.length)
    if (!HEADER_NAME.test(name)) throw invalid('bad header name')
    for (const value of values) {
      if (value.length > ENVELOPE_LIMITS.maxHeaderValueBytes || !HEADER_VALUE.test(value)) {
        throw invalid(`bad value for header ${name}`)
      }
      list.push([name, value])
    }
  }
  if (list.length > ENVELOPE_LIMITS.maxHeaders) throw invalid('too many headers')
  return list
}

function requestOf(h: Fields, data: Uint8Array): RequestEnvelope {
  const ctx = readContext(h, 'request')
  const env: RequestEnvelope = { ...ctx, headers: readHttpHeaders(h), body: data }
  const actor = one(h, H.actor, false)
  if (actor !== undefined) env.actor = actor
  return env
}

export function decodeRequest(headers: MsgHdrs | undefined, data: Uint8Array): RequestEnvelope {
  return requestOf(fieldsOf(headers), data)
}

/** A request decoded leniently: without its HTTP headers when those were unreadable. */
export interface LenientRequest {
  env: RequestEnvelope
  /** Set when the HTTP headers were unreadable: what the client is told, and why. */
  headerFault?: { detail: string; reason: string }
}

/**
 * Decodes a request as `decodeRequest` does, except that an envelope whose context is sound
 * but one of whose HTTP headers the codec refuses (a NUL or another control character, an
 * over-long value, too many headers) is still answerable: its reply stamp is the relay's. It
 * comes back without its HTTP headers and with the fault, so a validator answers
 * HEADER_INVALID instead of dropping it and leaving the client to time out. Anything else
 * unreadable throws.
 */
export function decodeRequestLeniently(
  headers: MsgHdrs | undefined,
  data: Uint8Array,
): LenientRequest {
  const h = fieldsOf(headers)
  try {
    return { env: requestOf(h, data) }
  } catch (e) {
    const context = new Map([...h].filter(([key]) => !key.startsWith(HTTP_HEADER_PREFIX)))
    if (context.size === h.size) throw e
    // Throws when the context itself is unreadable: then there is nobody to answer.
    const env = requestOf(context, data)
    return {
      env,
      headerFault: {
        detail: 'a header has characters or a size an envelope cannot carry',
        reason: failureReason(e),
      },
    }
  }
}

export function decodeResponse(headers: MsgHdrs | undefined, data: Uint8Array): ResponseEnvelope {
  const h = fieldsOf(headers)
  const request = readContext(h, 'response')
  const env: ResponseEnvelope = {
    request,
    status: integer(one(h, H.status, true), H.status, 100, 599),
    headers: readHttpHeaders(h),
    body: data,
  }
  const error = one(h, H.error, false)
  if (error !== undefined) {
    if (!isErrorCode(error)) throw invalid('unknown error code')
    env.error = error
  }
  const detail = one(h, H.detail, false)
  if (detail !== undefined) env.detail = detail.slice(0, ENVELOPE_LIMITS.maxDetailBytes)
  return env
}
