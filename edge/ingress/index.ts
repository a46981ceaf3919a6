/**
 * The ingress: a Hono app that runs the edge's checks in order and forwards what passes
 * over the link. Pure: no clock, no I/O of its own (the link and `now` are passed in).
 */
import { Hono } from 'hono'
import { newRequestId as coreRequestId, readEdgePolicy } from '../../core/index.js'
import { addressing } from './addressing.js'
import { bodyLimit } from './body-limit.js'
import { forward } from './forward.js'
import { mediaType } from './media-type.js'
import { methodCarried } from './method.js'
import { portFirewall } from './port-firewall.js'
import { onError } from './problem.js'
import { requestId } from './request-id.js'
import { route } from './route.js'
import type { IngressEnv, IngressOptions } from './types.js'
import { urlLength } from './url-length.js'

export type { IngressEnv, IngressOptions, Link, Target } from './types.js'
export { problemResponse, asGatewayError } from './problem.js'

export function createIngress(options: IngressOptions): Hono<IngressEnv> {
  // Wrong options fail at start, not per request.
  const policy = readEdgePolicy(options.policy)
  const now = options.now ?? Date.now
  const app = new Hono<IngressEnv>()
  app.onError(onError)
  app.use(requestId(options.newRequestId ?? coreRequestId))
  app.use(urlLength(policy))
  app.use(addressing(policy))
  app.use(portFirewall(policy))
  app.use(methodCarried(policy))
  app.use(route(policy))
  app.use(mediaType())
  app.use(bodyLimit(policy))
  app.all('*', forward(policy, options.link, now))
  return app
}
