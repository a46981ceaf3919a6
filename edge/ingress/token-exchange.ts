/**
 * Exchanges the verified caller for a short-lived access token from the access service; the
 * envelope carries only that (as its actor), never the client's token. The access token
 * names the upstream host it is for (`aud: "portcullis:<host>"`, core's `accessAudienceOf`),
 * so an upstream cannot replay it to another. Access tokens are reused within the isolate,
 * keyed by the host and the presented token, until shortly before they expire, so a busy
 * client costs one mint per host and access-token lifetime. An access token never outlives
 * the token it was minted for: the mint is capped at that token's `exp` (`notAfter`), and so
 * is the cache entry. Revocation is still asked on every request (the verifier does it
 * before this step).
 */
import { createMiddleware } from 'hono/factory'
import { accessAudienceOf, TokenError, type AccessTokens } from '../../core/index.js'
import { mintRefusal } from './mint-refusal.js'
import type { Caller, IngressEnv } from './types.js'

/** A cached access token is not handed out in its last seconds. */
export const REUSE_MARGIN_MS = 10_000
/**
 * Less than this left on the presented token, and no access token is minted: it would
 * expire on the bus before the request validator reads it (which allows no skew on `exp`).
 */
export const MIN_ACTOR_LIFE_MS = 1_000
/** Entries beyond this push out the oldest. */
export const MAX_CACHED_TOKENS = 1000

interface Cached {
  token: string
  expiresAtMs: number
  /** Ends with the presented token: a new mint could not live longer. */
  capped: boolean
}

/** The claims the access token carries besides the ones the service stamps. */
function mintClaims(caller: Caller): Record<string, unknown> {
  const { sub: _sub, idp: _idp, ...claims } = caller.claims
  return claims
}

function reusable(entry: Cached | undefined, at: number): entry is Cached {
  if (!entry) return false
  const margin = entry.capped ? MIN_ACTOR_LIFE_MS : REUSE_MARGIN_MS
  return at < entry.expiresAtMs - margin
}

export function tokenExchange(access: AccessTokens, accessTtlSeconds: number, now: () => number) {
  const cache = new Map<string, Cached>()
  return createMiddleware<IngressEnv>(async (c, next) => {
    const caller = c.get('caller')
    if (caller) {
      const host = c.get('target').host
      const key = `${host}\n${caller.cacheKey}`
      const at = now()
      let entry = cache.get(key)
      if (!reusable(entry, at)) {
        cache.delete(key)
        const left = caller.expiresAtMs - at
        if (left < MIN_ACTOR_LIFE_MS) {
          throw new TokenError('TOKEN_EXPIRED', 'the presented token expires before it is used')
        }
        let minted: { token: string; expiresAt: number }
        try {
          minted = await access.mint({
            sub: caller.sub,
            aud: accessAudienceOf(host),
            idp: caller.idp,
            claims: mintClaims(caller),
            ttlSeconds: Math.max(1, Math.min(accessTtlSeconds, Math.ceil(left / 1000))),
            notAfter: Math.floor(caller.expiresAtMs / 1000),
          })
        } catch (e) {
          throw mintRefusal(e, 'access token mint')
        }
        const expiresAtMs = Math.min(minted.expiresAt * 1000, caller.expiresAtMs)
        entry = {
          token: minted.token,
          expiresAtMs,
          capped: expiresAtMs > caller.expiresAtMs - 1000,
        }
        if (cache.size >= MAX_CACHED_TOKENS) cache.delete(cache.keys().next().value!)
        cache.set(key, entry)
      }
      c.set('actor', entry.token)
    }
    await next()
  })
}
