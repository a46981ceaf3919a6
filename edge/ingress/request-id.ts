/**
 * Gives every request our own id and puts it on every response, errors included. A client's
 * `X-Request-Id` is never trusted: it would let a client collide with another request's id
 * in de-duplication windows and in the audit trail.
 */
import { createMiddleware } from 'hono/factory'
import { REQUEST_ID_HEADER } from './constants.js'
import type { IngressEnv } from './types.js'

export function requestId(newRequestId: () => string) {
  return createMiddleware<IngressEnv>(async (c, next) => {
    const id = newRequestId()
    c.set('requestId', id)
    await next()
    c.header(REQUEST_ID_HEADER, id)
  })
}
