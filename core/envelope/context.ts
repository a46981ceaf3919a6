/** Request ids, deadlines and error answers: what every stage does with a request's context. */
import type { GatewayError } from '../errors/index.js'
import type { HeaderList, RequestContext, ResponseEnvelope } from './types.js'

const REQUEST_ID = /^[A-Za-z0-9_-]{8,64}$/

export function isRequestId(value: string): boolean {
  return REQUEST_ID.test(value)
}

/** A fresh request id: 32 hex characters, a random (v4) UUID without its dashes. */
export function newRequestId(): string {
  return crypto.randomUUID().replaceAll('-', '')
}

/** An error answer for a request: no body, the code tells the edge what to render. */
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
