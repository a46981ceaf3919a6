/**
 * The port firewall: a port the deployment does not open answers 404 PORT_BLOCKED and
 * nothing leaves the edge. The rule is core's `checkPort`, the request validator's too.
 */
import { createMiddleware } from 'hono/factory'
import { checkPort, type EdgePolicy } from '../../core/index.js'
import type { IngressEnv } from './types.js'

export function portFirewall(policy: EdgePolicy) {
  return createMiddleware<IngressEnv>(async (c, next) => {
    checkPort(c.get('target').port, policy.deployment)
    await next()
  })
}
