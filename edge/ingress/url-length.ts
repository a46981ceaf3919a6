/**
 * 414 for a request target (path and query, what the client controls) longer than the
 * policy allows, or longer than an envelope can carry.
 */
import { createMiddleware } from 'hono/factory'
import { ENVELOPE_LIMITS, GatewayError, type EdgePolicy } from '../../core/index.js'
import type { IngressEnv } from './types.js'

export function urlLength(policy: EdgePolicy) {
  const max = policy.limits.maxUrlBytes
  return createMiddleware<IngressEnv>(async (c, next) => {
    const url = new URL(c.req.url)
    c.set('url', url)
    const target = url.pathname.length + url.search.length
    if (
      target > max ||
      url.pathname.length > ENVELOPE_LIMITS.maxPathBytes ||
      url.search.length > ENVELOPE_LIMITS.maxQueryBytes + 1
    ) {
      throw new GatewayError('URL_TOO_LONG', {
        detail: `the request target may have at most ${max} bytes`,
        reason: `request target has ${target} bytes`,
      })
    }
    await next()
  })
}
