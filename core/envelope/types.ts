/** What an envelope carries: its version, the methods and limits, and its shapes. */
import type { MsgHdrs } from '@nats-io/nats-core'
import type { ErrorCode } from '../errors/index.js'
import type { TraceContext } from '../trace/index.js'

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

/** A header name an envelope carries: an HTTP token, lowercase. */
export const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9a-z-]+$/
/** A header value an envelope carries: no control characters but tab. */
export const HEADER_VALUE = /^[\t\x20-\x7e\x80-\xff]*$/

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
