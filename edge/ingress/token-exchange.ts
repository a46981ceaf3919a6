/**
 * Exchanges the verified caller for a short-lived access token from the access service; the
 * envelope carries only that (as its actor), never the client's token. Access tokens are
 * reused within the isolate, keyed by the presented token, until shortly before they
 * expire, so a busy client costs one mint per access-token lifetime. An access token never
 * outlives the token it was minted for. Revocation is still asked on every request (the
 * verifier does it before this step).
 */
import { createMiddleware } from 'hono/factory'
import { GatewayError } from '../../core/index.js'
import { GATEWAY_AUDIENCE, type AccessTokens } from './token-services.js'
import type { Caller, IngressEnv } from './types.js'

/** A cached access token is not handed out in its last seconds. */
export const REUSE_MARGIN_MS = 10_000
/** Entries beyond this push out the oldest. */
export const MAX_CACHED_TOKENS = 1000

interface Cached {
  token: string
  expiresAtMs: number
}

/** The claims the access token carries besides the ones the service stamps. */
function mintClaims(caller: Caller): Record<string, unknown> {
  const { sub: _sub, idp: _idp, ...claims } = caller.claims
  return claims
}

export function tokenExchange(access: AccessTokens, accessTtlSeconds: number, now: () => number) {
  const cache = new Map<string, Cached>()
  return createMiddleware<IngressEnv>(async (c, next) => {
    const caller = c.get('caller')
    if (caller) {
      let entry = cache.get(caller.cacheKey)
      const at = now()
      if (!entry || at >= entry.expiresAtMs - REUSE_MARGIN_MS) {
        cache.delete(caller.cacheKey)
        const remaining = Math.floor((caller.expiresAtMs - at) / 1000)
        let minted: { token: string; expiresAt: number }
        try {
          minted = await access.mint({
            sub: caller.sub,
            aud: GATEWAY_AUDIENCE,
            idp: caller.idp,
            claims: mintClaims(caller),
            ttlSeconds: Math.max(1, Math.min(accessTtlSeconds, remaining)),
          })
        } catch (e) {
          throw new GatewayError('INTERNAL_ERROR', {
            reason: `access token mint failed: ${e instanceof Error ? e.message : String(e)}`,
          })
        }
        entry = { token: minted.token, expiresAtMs: minted.expiresAt * 1000 }
        if (cache.size >= MAX_CACHED_TOKENS) cache.delete(cache.keys().next().value!)
        cache.set(caller.cacheKey, entry)
      }
      c.set('actor', entry.token)
    }
    await next()
  })
}
