/**
 * `createIngress`: the Hono app that runs the edge's checks in order and forwards what passes
 * over the link. Pure: no clock, no I/O of its own (the link and `now` are passed in).
 */
import { Hono } from 'hono'
import {
  newRequestId as coreRequestId,
  readEdgePolicy,
  TOKEN_ENDPOINT_RATE_LIMIT_DEFAULT,
  readIdentityProviders,
  tokenSettingsOf,
  type TokenServices,
} from '../../core/index.js'
import { addressing } from './addressing.js'
import { auditTrail } from './audit-trail.js'
import { authorization, callerMapper } from './authorization.js'
import { callerVerifier } from './caller-verifier.js'
import { bodyLimit } from './body-limit.js'
import { forward } from './forward.js'
import { mediaType } from './media-type.js'
import { methodCarried } from './method.js'
import { portFirewall } from './port-firewall.js'
import { rateLimit, tokenEndpointRateLimit } from './rate-limit.js'
import { onError } from './problem.js'
import { jwks, JWKS_PATH } from './jwks.js'
import { requestId } from './request-id.js'
import { trace } from './trace.js'
import { requiredClaims } from './required-claims.js'
import { methodNotAllowed, route } from './route.js'
import { tokenExchange } from './token-exchange.js'
import { jwksFetcher } from './jwks-fetch.js'
import { TOKEN_ENDPOINT_PATH, tokenEndpoint } from './token-endpoint.js'
import type { IngressEnv, IngressOptions } from './types.js'
import { urlLength } from './url-length.js'

export function createIngress(options: IngressOptions): Hono<IngressEnv> {
  // Wrong options fail at start, not per request.
  const policy = readEdgePolicy(options.policy)
  const now = options.now ?? Date.now
  // Closed by default: a client-sent address is believed only where Cloudflare sets it.
  const clientAddress = options.clientAddress ?? 'local'
  const tokenEndpointLimit = policy.tokenEndpointRateLimit ?? TOKEN_ENDPOINT_RATE_LIMIT_DEFAULT
  const settings = tokenSettingsOf(policy)
  const providers = readIdentityProviders(policy.identityProviders, settings.clockSkewSeconds)
  const tokens = options.tokens ?? missingTokenServices()
  const verifier = callerVerifier({
    services: tokens,
    providers,
    settings,
    fetchJwks: options.fetchJwks ?? jwksFetcher(settings.jwks.fetchTimeoutMs),
    now,
  })
  const app = new Hono<IngressEnv>()
  app.onError(onError)
  app.use(requestId(options.newRequestId ?? coreRequestId))
  app.use(trace(options.spans, now))
  app.use(auditTrail(options.audit, now))
  app.use(urlLength(policy))
  app.get(JWKS_PATH, jwks(tokens.access))
  // The token endpoint's per-client rate limit (rate-limit.ts) comes before the endpoint: a
  // client over its budget costs no form read, no verification.
  app.post(
    TOKEN_ENDPOINT_PATH,
    tokenEndpointRateLimit(options.rateLimits, tokenEndpointLimit, clientAddress),
    tokenEndpoint({ verifier, providers, bearer: tokens.bearer, now }),
  )
  app.all(TOKEN_ENDPOINT_PATH, () => {
    throw methodNotAllowed(['POST'], 'the token endpoint takes POST only')
  })
  app.use(addressing(policy))
  app.use(portFirewall(policy))
  app.use(methodCarried(policy))
  app.use(route(policy))
  // Cheap refusals first: a request the route cannot take costs no verification or mint.
  app.use(mediaType())
  app.use(authorization(verifier, callerMapper(providers)))
  app.use(rateLimit(options.rateLimits, now, clientAddress))
  app.use(requiredClaims())
  app.use(bodyLimit(policy))
  app.use(tokenExchange(tokens.access, settings.accessTtlSeconds, now))
  app.all('*', forward(policy, options.link, now))
  return app
}

/** Stands in for absent token services: every use fails, so a protected route stays shut. */
function missingTokenServices(): TokenServices {
  const fail = () => Promise.reject(new Error('no token services bound'))
  return {
    access: { mint: fail, jwks: fail },
    bearer: { mint: fail, jwks: fail, revoke: fail, isRevoked: fail },
  }
}
