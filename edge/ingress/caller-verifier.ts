/**
 * The verifier of `Authorization` tokens: the gateway's own bearer tokens (keys from the
 * bearer service over its binding, revocation by `jti`) and the tokens of every configured
 * identity provider (keys from its pinned JWKS URL, with the policy's cooldown, refresh and
 * stale limit). One verifier per isolate: its key cache is what makes a key fetch rare.
 */
import {
  createTokenVerifier,
  externalKindOf,
  GATEWAY_AUDIENCE,
  ISSUERS,
  JTI_PATTERN,
  TokenError,
  type TokenServices,
  type EdgeTokenSettings,
  type IdentityProvider,
  type TokenVerifier,
} from '../../core/index.js'

/** A name for the bearer service's key set, never fetched over the network. */
const BEARER_KEYS_URL = 'https://bearer.token.core/jwks'

export interface CallerVerifierOptions {
  services: TokenServices
  providers: readonly IdentityProvider[]
  settings: EdgeTokenSettings
  /** Fetches a provider's pinned JWKS URL; only URLs from the providers are ever asked. */
  fetchJwks: (url: string) => Promise<string>
  now: () => number
}

export function callerVerifier(options: CallerVerifierOptions): TokenVerifier {
  const { services, providers, settings } = options
  const pinned = new Set(providers.map((p) => p.jwksUrl))
  return createTokenVerifier({
    now: options.now,
    kinds: [
      {
        kind: 'bearer',
        issuer: ISSUERS.bearer,
        audience: GATEWAY_AUDIENCE,
        algorithms: ['EdDSA'],
        keys: { url: BEARER_KEYS_URL },
        clockSkewSeconds: settings.clockSkewSeconds,
        // Revocation and the exchange cache are keyed by it.
        requiredClaims: ['jti'],
      },
      ...providers.map((p) => externalKindOf(p, settings.clockSkewSeconds)),
    ],
    keySet: {
      cooldownSeconds: settings.jwks.cooldownSeconds,
      refreshSeconds: settings.jwks.refreshSeconds,
      maxStaleSeconds: settings.jwks.maxStaleSeconds,
      refreshWaitMs: settings.jwks.fetchTimeoutMs,
    },
    fetchJwks: async (url) => {
      if (url === BEARER_KEYS_URL) return JSON.stringify(await services.bearer.jwks())
      if (!pinned.has(url)) throw new Error('no such key set')
      return options.fetchJwks(url)
    },
    isRevoked: (token) => {
      if (token.kind !== 'bearer') return false
      const jti = token.claims.jti
      // Only a token signed with the service's key gets here; the service would refuse the
      // question (an error, so a 500) for an id it never mints.
      if (typeof jti !== 'string' || !JTI_PATTERN.test(jti)) {
        throw new TokenError('TOKEN_MALFORMED', 'claim jti is not a token id')
      }
      return services.bearer.isRevoked(jti)
    },
  })
}
