/**
 * Reading an encoded envelope's headers without decoding it: its trace (every stage's span),
 * its outcome (metrics), and what can be read of a request the codec refused (the relay's
 * answer to it). Lenient by design: a value that does not read is left out, never an error.
 */
import type { MsgHdrs } from '@nats-io/nats-core'
import { isSubjectToken } from '../subjects/index.js'
import { formatTraceparent, parseTraceparent, type TraceContext } from '../trace/index.js'
import { isRequestId, newRequestId } from './context.js'
import { ENVELOPE_HEADERS as H } from './names.js'
import type { RequestContext } from './types.js'

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

/**
 * A context for answering a request that could not be decoded: whatever of it is readable
 * and safe, placeholders for the rest. The edge matches the answer by its inbox, not by
 * these fields.
 */
export function fallbackContextOf(headers: MsgHdrs | undefined, now: number): RequestContext {
  const read = (key: string) => {
    const v = headers?.values(key)
    return v && v.length === 1 ? v[0] : undefined
  }
  const id = read(H.requestId)
  const host = read(H.host)
  return {
    requestId: id && isRequestId(id) ? id : newRequestId(),
    deadline: now + 1,
    method: 'GET',
    host: host && isSubjectToken(host) ? host : 'unknown',
    port: 443,
    path: '/',
    query: '',
  }
}
