/**
 * Finds the route in the host's table (compiled from its OpenAPI document): 404
 * ROUTE_NOT_FOUND, or 405 METHOD_NOT_ALLOWED with `Allow` listing what the path takes.
 */
import { createMiddleware } from 'hono/factory'
import { GatewayError, matchRoute, type EdgePolicy } from '../../core/index.js'
import type { IngressEnv } from './types.js'

export function methodNotAllowed(allow: readonly string[], reason: string): GatewayError {
  return new GatewayError('METHOD_NOT_ALLOWED', { reason, headers: { Allow: allow.join(', ') } })
}

export function route(policy: EdgePolicy) {
  return createMiddleware<IngressEnv>(async (c, next) => {
    const { host, port, path } = c.get('target')
    const method = c.req.raw.method
    const match = matchRoute(policy.hosts[host]!, method, path, port)
    if (!match.ok) {
      if (match.code === 'METHOD_NOT_ALLOWED') {
        throw methodNotAllowed(match.allow, `${method} is not a method of this path`)
      }
      throw new GatewayError('ROUTE_NOT_FOUND', {
        reason: `no route for ${method} on port ${port}`,
      })
    }
    c.set('route', match.route)
    await next()
  })
}
