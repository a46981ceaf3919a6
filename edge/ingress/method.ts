/**
 * Methods the gateway never carries (TRACE, CONNECT, anything outside core's METHODS) are
 * refused with 405 before any route is looked up. `Allow` still names what the path takes,
 * as HTTP asks of every 405.
 */
import { createMiddleware } from 'hono/factory'
import { METHODS, matchRoute, type EdgePolicy } from '../../core/index.js'
import { methodNotAllowed } from './route.js'
import type { IngressEnv } from './types.js'

export function isCarried(method: string): boolean {
  return (METHODS as readonly string[]).includes(method)
}

export function methodCarried(policy: EdgePolicy) {
  return createMiddleware<IngressEnv>(async (c, next) => {
    const method = c.req.raw.method
    if (!isCarried(method)) {
      const { host, port, path } = c.get('target')
      const match = matchRoute(policy.hosts[host]!, method, path, port)
      const allow = !match.ok && match.code === 'METHOD_NOT_ALLOWED' ? match.allow : []
      throw methodNotAllowed(allow, `method ${method.slice(0, 16)} is never carried`)
    }
    await next()
  })
}
