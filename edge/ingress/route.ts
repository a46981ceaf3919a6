/**
 * Finds the route in the host's table (compiled from its OpenAPI document): 404
 * ROUTE_NOT_FOUND, or 405 METHOD_NOT_ALLOWED with `Allow` listing what the path takes. The
 * rule is core's `resolveRoute`, the request validator's too.
 */
import { createMiddleware } from 'hono/factory'
import { resolveRoute, type EdgePolicy } from '../../core/index.js'
import type { IngressEnv } from './types.js'

export { methodNotAllowed } from '../../core/index.js'

export function route(policy: EdgePolicy) {
  return createMiddleware<IngressEnv>(async (c, next) => {
    const { host, port, path } = c.get('target')
    c.set('route', resolveRoute(policy.hosts[host]!, c.req.raw.method, path, port).route)
    await next()
  })
}
