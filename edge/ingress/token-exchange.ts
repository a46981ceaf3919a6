/**
 * Exchanges the verified bearer token for a short-lived access token from the access
 * service; the envelope carries only that (as its actor), never the client's token. Access
 * tokens are reused within the isolate, keyed by the bearer token's issuer and `jti`, until
 * shortly before they expire, so a busy client costs one mint per access-token lifetime.
 * Revocation is still asked on every request (the verifier does it before this step).
 */
import { createMiddleware } from 'hono/factory'
import { GatewayError } from '../../core/index.js'
import { GATEWAY_AUDIENCE, type AccessTokens } from './token-services.js'
import type { IngressEnv } from './types.js'

/** A cached access token is not handed out in its last seconds. */
export const REUSE_MARGIN_MS = 10_000
/** Entries beyond this push out the oldest. */
export const MAX_CACHED_TOKENS = 1000

interface Cached {
  token: string
  expiresAtMs: number
}

export function tokenExchange(access: AccessTokens, now: () => number) {
  const cache = new Map<string, Cached>()
  return createMiddleware<IngressEnv>(async (c, next) => {
    const bearer = c.get('bearer')
    if (bearer) {
      const key = `${bearer.issuer}\n${String(bearer.claims.jti)}`
      let entry = cache.get(key)
      if (!entry || now() >= entry.expiresAtMs - REUSE_MARGIN_MS) {
        cache.delete(key)
        const roles = bearer.claims.roles
        let minted: { token: string; expiresAt: number }
        try {
          minted = await access.mint({
            sub: String(bearer.claims.sub),
            aud: GATEWAY_AUDIENCE,
            idp: 'bearer',
            claims: { roles: Array.isArray(roles) ? roles : [] },
          })
        } catch (e) {
          throw new GatewayError('INTERNAL_ERROR', {
            reason: `access token mint failed: ${e instanceof Error ? e.message : String(e)}`,
          })
        }
        entry = { token: minted.token, expiresAtMs: minted.expiresAt * 1000 }
        if (cache.size >= MAX_CACHED_TOKENS) cache.delete(cache.keys().next().value!)
        cache.set(key, entry)
      }
      c.set('actor', entry.token)
    }
    await next()
  })
}
