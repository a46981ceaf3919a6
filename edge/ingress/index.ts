/**
 * The ingress: a Hono app that runs the edge's checks in order and forwards what passes
 * over the link. Pure: no clock, no I/O of its own (the link and `now` are passed in).
 */
import { Hono } from 'hono'
import { newRequestId as coreRequestId, readEdgePolicy } from '../../core/index.js'
import { addressing } from './addressing.js'
import { bearerToken } from './bearer-token.js'
import { bodyLimit } from './body-limit.js'
import { forward } from './forward.js'
import { mediaType } from './media-type.js'
import { methodCarried } from './method.js'
import { portFirewall } from './port-firewall.js'
import { rateLimit } from './rate-limit.js'
import { onError } from './problem.js'
import { jwks, JWKS_PATH } from './jwks.js'
import { requestId } from './request-id.js'
import { requiredClaims } from './required-claims.js'
import { route } from './route.js'
import { tokenExchange } from './token-exchange.js'
import { bearerVerifier, type TokenServices } from './token-services.js'
import type { IngressEnv, IngressOptions } from './types.js'
import { urlLength } from './url-length.js'

export type { IngressEnv, IngressOptions, Link, Target } from './types.js'
export type { AccessTokens, BearerTokens, TokenServices } from './token-services.js'
export type { Limiter, QuotaCounter, RateLimits } from './rate-limit.js'
export { problemResponse, asGatewayError } from './problem.js'

export function createIngress(options: IngressOptions): Hono<IngressEnv> {
  // Wrong options fail at start, not per request.
  const policy = readEdgePolicy(options.policy)
  const now = options.now ?? Date.now
  const app = new Hono<IngressEnv>()
  app.onError(onError)
  app.use(requestId(options.newRequestId ?? coreRequestId))
  app.use(urlLength(policy))
  const tokens = options.tokens ?? missingTokenServices()
  app.get(JWKS_PATH, jwks(tokens.access))
  app.use(addressing(policy))
  app.use(portFirewall(policy))
  app.use(methodCarried(policy))
  app.use(route(policy))
  app.use(bearerToken(bearerVerifier(tokens, now)))
  app.use(rateLimit(options.rateLimits, now))
  app.use(requiredClaims())
  app.use(tokenExchange(tokens.access, now))
  app.use(mediaType())
  app.use(bodyLimit(policy))
  app.all('*', forward(policy, options.link, now))
  return app
}

/** Stands in for absent token services: every use fails, so a protected route stays shut. */
function missingTokenServices(): TokenServices {
  const fail = () => Promise.reject(new Error('no token services bound'))
  return { access: { mint: fail, jwks: fail }, bearer: { jwks: fail, isRevoked: fail } }
}
