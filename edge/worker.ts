/**
 * Wires the bindings to the ingress once per isolate: settings -> link pool client ->
 * ingress app. When the settings are wrong every request gets 500 INTERNAL_ERROR. An isolate
 * runs in one edge location, so the first request's location names the pool's shards.
 */
import type { Hono } from 'hono'
import { failureReason, GatewayError, newRequestId, SetupError } from '../core/index.js'
import {
  createIngress,
  problemResponse,
  type IngressEnv,
  type RateLimits,
  type TokenServices,
} from './ingress/index.js'
import { poolAudit, poolLink, Shards, type PoolNamespace } from './link/client.js'
import { locationOf } from './link/location.js'
import { quotaCounter } from './quota/client.js'
import { rateLimitBindingOf, readSettings } from './settings.js'
import { otlpSpanExport } from './ingress/span.js'

type Ingress = { app: Hono<IngressEnv> } | { error: GatewayError }

function build(env: Env, location: string, policy: unknown): Ingress {
  try {
    const settings = readSettings(env, policy)
    // The RPC stub's type widens tuples (header pairs) to arrays; the values are the same.
    const pool = env.LINK_POOL as PoolNamespace
    const shards = new Shards(pool, { size: settings.poolSize, location })
    const link = poolLink(shards)
    const audit = poolAudit(shards)
    const tokens: TokenServices = { access: env.ACCESS_TOKENS, bearer: env.BEARER_TOKENS }
    const rateLimits: RateLimits = {
      limiter: (binding) => rateLimitBindingOf(env, binding),
      quota: quotaCounter(env.RATE_QUOTA),
    }
    const clientAddress = settings.clientAddress
    const app = createIngress({
      policy: settings.policy,
      link,
      tokens,
      rateLimits,
      clientAddress,
      audit,
      ...(settings.otlpTracesUrl && {
        spans: otlpSpanExport(settings.otlpTracesUrl, 'portcullis-edge'),
      }),
    })
    return { app }
  } catch (e) {
    const reason = failureReason(e)
    const setup =
      e instanceof SetupError ? { code: e.code, key: e.key, action: e.action } : undefined
    console.error(JSON.stringify({ event: 'settings-refused', reason, ...setup }))
    return { error: new GatewayError('INTERNAL_ERROR', { reason: `settings: ${reason}` }) }
  }
}

/**
 * The worker's fetch handler; the bindings are read on the first request of the isolate.
 * `policy`: the edge policy bundled into the worker (a deployment: a var holds at most
 * 5 KB); without it the `POLICY` var (`wrangler dev`).
 */
export function createFetchHandler(options: { policy?: unknown } = {}) {
  let ingress: Ingress | undefined
  return (request: Request, env: Env, ctx: ExecutionContext): Response | Promise<Response> => {
    ingress ??= build(env, locationOf(request), options.policy)
    if ('error' in ingress) return problemResponse(ingress.error, newRequestId())
    return ingress.app.fetch(request, env, ctx)
  }
}
