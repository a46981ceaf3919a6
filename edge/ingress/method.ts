/**
 * Methods the gateway never carries (TRACE, CONNECT, anything outside core's METHODS) are
 * refused with 405 before the route step, `Allow` still naming what the path takes, as HTTP
 * asks of every 405. The rule is core's `resolveRoute`, which route.ts applies in full.
 */
import { createMiddleware } from 'hono/factory'
import { isCarriedMethod, resolveRoute, type EdgePolicy } from '../../core/index.js'
import type { IngressEnv } from './types.js'

export function methodCarried(policy: EdgePolicy) {
  return createMiddleware<IngressEnv>(async (c, next) => {
    const method = c.req.raw.method
    if (!isCarriedMethod(method)) {
      const { host, port, path } = c.get('target')
      resolveRoute(policy.hosts[host]!, method, path, port)
    }
    await next()
  })
}
