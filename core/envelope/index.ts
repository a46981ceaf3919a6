/**
 * The envelope: how a request and its response travel on every bus.
 *
 * The body rides as the raw message payload; everything else is a NATS header, so no stage
 * copies or re-encodes a body to read its metadata. Every stage decodes what it receives
 * with these functions and refuses what does not fit (`ENVELOPE_INVALID`).
 */
import type { MsgHdrs } from '@nats-io/nats-core'
import { GatewayError, isErrorCode, type ErrorCode } from '../errors/index.js'
import { isInboxOf, isSubjectToken } from '../subjects/index.js'
import { WireHeaders } from './wire-headers.js'
import {
  formatTraceparent,
  parseTraceparent,
  parseTracestate,
  type TraceContext,
} from '../trace/index.js'

export { WireHeaders } from './wire-headers.js'

export const ENVELOPE_VERSION = '1'

/** HTTP methods the gateway carries at all; TRACE and CONNECT never travel. */
export const METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'] as const
export type Method = (typeof METHODS)[number]

export const ENVELOPE_LIMITS = {
  maxPathBytes: 8192,
  maxQueryBytes: 8192,
  maxHeaders: 100,
  maxHeaderValueBytes: 8192,
  maxDetailBytes: 500,
} as const

export type HeaderList = Array<[name: string, value: string]>

/** What every stage knows about a request, from the edge to the upstream and back. */
export interface RequestContext {
  requestId: string
  /** Absolute deadline, epoch milliseconds. Stages drop work whose deadline has passed. */
  deadline: number
  method: Method
  host: string
  port: number
  /** Path below the host, as received (percent-encoded), starting with `/`. */
  path: string
  /** Raw query without the `?`, possibly empty. */
  query: string
  /** The edge that asked; stamped by the relay from the broker-certified link subject. */
  edgeId?: string
  /** Where the answer goes on the link; stamped by the relay from the message's reply. */
  replyTo?: string
  /** The route's operation, stamped by the request validator. */
  operation?: string
  /** When the relay took the request in, epoch milliseconds: stamped by the relay (metrics). */
  receivedAt?: number
  /** The W3C trace the request belongs to; its parent is the hop that sent it on. */
  trace?: TraceContext
}

export interface RequestEnvelope extends RequestContext {
  headers: HeaderList
  /** The actor's access token, when the route has one. */
  actor?: string
  body: Uint8Array
}

export interface ResponseEnvelope {
  request: RequestContext
  status: number
  headers: HeaderList
  body: Uint8Array
  /** Set when a stage refused or failed: the edge renders the problem for this code. */
  error?: ErrorCode
  /** Client-safe detail for `error` (a field or limit, never internals). */
  detail?: string
}

export interface WireMessage {
  headers: MsgHdrs
  data: Uint8Array
}

/** A message as a stage's handler receives it from a bus: the subject says who sent it. */
export interface BusMessage {
  subject: string
  headers: MsgHdrs | undefined
  data: Uint8Array
}

const H = {
  version: 'Portcullis-Envelope',
  kind: 'Portcullis-Kind',
  requestId: 'Portcullis-Request-Id',
  deadline: 'Portcullis-Deadline',
  method: 'Portcullis-Method',
  host: 'Portcullis-Host',
  port: 'Portcullis-Port',
  path: 'Portcullis-Path',
  query: 'Portcullis-Query',
  edgeId: 'Portcullis-Edge',
  replyTo: 'Portcullis-Reply',
  operation: 'Portcullis-Operation',
  receivedAt: 'Portcullis-Received',
  traceparent: 'Portcullis-Traceparent',
  tracestate: 'Portcullis-Tracestate',
  actor: 'Portcullis-Actor',
  status: 'Portcullis-Status',
  error: 'Portcullis-Error',
  detail: 'Portcullis-Error-Detail',
} as const

/** NATS header that JetStream uses to de-duplicate publishes. */
export const MSG_ID_HEADER = 'Nats-Msg-Id'
const HTTP_PREFIX = 'H-'

const REQUEST_ID = /^[A-Za-z0-9_-]{8,64}$/
/** A header name an envelope carries: an HTTP token, lowercase. */
export const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9a-z-]+$/
/** A header value an envelope carries: no control characters but tab. */
export const HEADER_VALUE = /^[\t\x20-\x7e\x80-\xff]*$/
const PATH = /^\/[\x21-\x7e]*$/
const QUERY = /^[\x21-\x7e]*$/
const OPERATION = /^[A-Za-z0-9_.:/{}-]{1,256}$/

function invalid(reason: string): GatewayError {
  return new GatewayError('ENVELOPE_INVALID', { reason: `envelope: ${reason}` })
}

export function isRequestId(value: string): boolean {
  return REQUEST_ID.test(value)
}

/** A fresh request id: 32 hex characters, a random (v4) UUID without its dashes. */
export function newRequestId(): string {
  return crypto.randomUUID().replaceAll('-', '')
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
  for (const [name, value] of list) h.append(HTTP_PREFIX + name, value)
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
  if (!REQUEST_ID.test(requestId)) throw invalid('bad request id')
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
    if (!key.startsWith(HTTP_PREFIX)) continue
    const name = key.slice(HTTP_PREFIX.length)
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

export function decodeRequest(headers: MsgHdrs | undefined, data: Uint8Array): RequestEnvelope {
  const h = fieldsOf(headers)
  const ctx = readContext(h, 'request')
  const env: RequestEnvelope = { ...ctx, headers: readHttpHeaders(h), body: data }
  const actor = one(h, H.actor, false)
  if (actor !== undefined) env.actor = actor
  return env
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

/** An error answer for a request: no body, the code tells the edge what to render. */
/**
 * The trace an encoded envelope carries, read without decoding it; undefined when it has
 * none or it does not parse (the stage's decode refuses that envelope anyway).
 */
export function traceOf(headers: MsgHdrs | undefined): TraceContext | undefined {
  const value = headers?.get(H.traceparent)
  if (!value) return undefined
  const parsed = parseTraceparent(value)
  if (!parsed) return undefined
  const state = headers!.get(H.tracestate)
  return state ? { ...parsed, state } : parsed
}

/** Puts `trace` on an encoded envelope (a stage's span as the parent of the next hop). */
export function setTraceOf(headers: MsgHdrs, trace: TraceContext): void {
  headers.set(H.traceparent, formatTraceparent(trace))
}

/** What a response's headers say of its outcome, read without decoding it (metrics). */
export interface ResponseSummary {
  host: string
  operation?: string
  status: number
  error?: string
  receivedAt?: number
}

/** The outcome an encoded response carries; undefined when its headers do not say. */
export function responseSummaryOf(headers: MsgHdrs): ResponseSummary | undefined {
  const status = Number(headers.get(H.status))
  const host = headers.get(H.host)
  if (!Number.isInteger(status) || !host) return undefined
  const summary: ResponseSummary = { host, status }
  const operation = headers.get(H.operation)
  if (operation) summary.operation = operation
  const error = headers.get(H.error)
  if (error) summary.error = error
  const receivedAt = Number(headers.get(H.receivedAt))
  if (Number.isSafeInteger(receivedAt) && receivedAt > 0) summary.receivedAt = receivedAt
  return summary
}

export function errorResponse(request: RequestContext, error: GatewayError): ResponseEnvelope {
  const env: ResponseEnvelope = {
    request,
    status: error.status,
    headers: [],
    body: new Uint8Array(0),
    error: error.code,
  }
  if (error.detail) env.detail = error.detail
  return env
}

/** The first value of a header (names are lowercase in envelopes). */
export function headerValue(list: HeaderList, name: string): string | undefined {
  for (const [n, v] of list) if (n === name) return v
  return undefined
}

export function hasExpired(ctx: Pick<RequestContext, 'deadline'>, now: number): boolean {
  return now >= ctx.deadline
}
