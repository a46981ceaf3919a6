/**
 * The port firewall: a port the deployment does not open answers 404 PORT_BLOCKED and
 * nothing leaves the edge. Ports are data in core/policy; this only applies them.
 */
import { createMiddleware } from 'hono/factory'
import { GatewayError, isPortOpen, type EdgePolicy } from '../../core/index.js'
import type { IngressEnv } from './types.js'

export function portFirewall(policy: EdgePolicy) {
  return createMiddleware<IngressEnv>(async (c, next) => {
    const { port } = c.get('target')
    if (!isPortOpen(port, policy.deployment)) {
      throw new GatewayError('PORT_BLOCKED', {
        reason: `port ${port} is closed in ${policy.deployment}`,
      })
    }
    await next()
  })
}
