/**
 * One `GET` through the link as the edge sends it (an envelope on the edge's request subject),
 * for tests that put load on a stack: the answer's status, or 0 and why when none came.
 */
import type { NatsConnection } from '@nats-io/nats-core'
import {
  decodeResponse,
  encodeRequest,
  failureReason,
  newRequestId,
  subjects,
} from '../../core/index.js'

export interface LinkAnswer {
  requestId: string
  /** 0: no answer in time, or the connection failed (`error` says which). */
  status: number
  error?: string
  /** The error code a stage set on the answer (what the edge renders as its problem). */
  code?: string
}

export async function getThroughLink(
  link: NatsConnection,
  edgeId: string,
  options: { path?: string; timeoutMs?: number } = {},
): Promise<LinkAnswer> {
  const { path = '/orders', timeoutMs = 30_000 } = options
  const requestId = newRequestId()
  const wire = encodeRequest({
    requestId,
    deadline: Date.now() + timeoutMs,
    method: 'GET',
    host: 'demo',
    port: 443,
    path,
    query: '',
    headers: [],
    body: new Uint8Array(),
  })
  try {
    const reply = await link.request(subjects.linkRequest(edgeId), wire.data, {
      headers: wire.headers,
      timeout: timeoutMs + 5_000,
    })
    const response = decodeResponse(reply.headers, reply.data)
    return {
      requestId,
      status: response.status,
      ...(response.error && { code: response.error }),
    }
  } catch (e) {
    return { requestId, status: 0, error: failureReason(e) }
  }
}
