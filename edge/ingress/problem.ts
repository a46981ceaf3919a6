/**
 * The one place where a failure becomes a client response: problem+json with the stable
 * code, the generic title from core's ERROR_TABLE and the request id. The detailed reason
 * goes to the log, never to the client.
 */
import type { ErrorHandler } from 'hono'
import {
  asGatewayError,
  PROBLEM_CONTENT_TYPE,
  problemFor,
  retryAfterOf,
  type GatewayError,
} from '../../core/index.js'
import { REQUEST_ID_HEADER } from './constants.js'
import type { IngressEnv } from './types.js'

export function problemResponse(error: GatewayError, requestId: string): Response {
  const problem = problemFor(error.code, requestId, error.detail)
  if (problem.status >= 500) {
    // Workers logs: the reason stays on our side of the wire.
    console.error(
      JSON.stringify({
        event: 'request-failed',
        requestId,
        code: error.code,
        reason: error.reason,
      }),
    )
  }
  const headers = new Headers(error.headers)
  headers.set('content-type', PROBLEM_CONTENT_TYPE)
  headers.set('cache-control', 'no-store')
  headers.set(REQUEST_ID_HEADER, requestId)
  // A refusal worth retrying names when (core's table: an idempotent request in flight, ...).
  const retryAfter = retryAfterOf(error.code)
  if (retryAfter !== undefined && !headers.has('retry-after'))
    headers.set('retry-after', String(retryAfter))
  return new Response(JSON.stringify(problem), { status: problem.status, headers })
}

export const onError: ErrorHandler<IngressEnv> = (error, c) =>
  problemResponse(asGatewayError(error), c.get('requestId'))
