/**
 * The token services as the ingress sees them (the RPC methods of the service bindings
 * ACCESS_TOKENS and BEARER_TOKENS), and the verifier of bearer tokens built on them: the
 * bearer service's keys through `fetchJwks`, its revocation list through `isRevoked`.
 * Declared here rather than imported: the edge shares only core/ with other folders.
 */
import { createTokenVerifier, ISSUERS, TokenError, type TokenVerifier } from '../../core/index.js'

export interface PublicJwks {
  keys: unknown[]
}

export interface AccessTokens {
  mint(request: {
    sub: string
    aud: string
    idp: string
    claims?: Record<string, unknown>
    ttlSeconds?: number
  }): Promise<{ token: string; expiresAt: number }>
  jwks(): Promise<PublicJwks>
}

export interface BearerTokens {
  jwks(): Promise<PublicJwks>
  isRevoked(jti: string): Promise<boolean>
}

export interface TokenServices {
  access: AccessTokens
  bearer: BearerTokens
}

/** The audience of bearer tokens and of the access tokens minted for the gateway. */
export const GATEWAY_AUDIENCE = 'portcullis'

/** The token ids the bearer service mints (128 random bits, base64url); it refuses others. */
const JTI = /^[A-Za-z0-9_-]{16,64}$/

/** A name for the bearer service's key set, never fetched over the network. */
const BEARER_KEYS_URL = 'https://bearer.token.core/jwks'

export function bearerVerifier(services: TokenServices, now: () => number): TokenVerifier {
  return createTokenVerifier({
    now,
    kinds: [
      {
        kind: 'bearer',
        issuer: ISSUERS.bearer,
        audience: GATEWAY_AUDIENCE,
        algorithms: ['EdDSA'],
        keys: { url: BEARER_KEYS_URL },
        // Revocation and the exchange cache are keyed by it.
        requiredClaims: ['jti'],
      },
    ],
    fetchJwks: async (url) => {
      if (url !== BEARER_KEYS_URL) throw new Error('no such key set')
      return JSON.stringify(await services.bearer.jwks())
    },
    isRevoked: (token) => {
      const jti = token.claims.jti
      // Only a token signed with the service's key gets here; the service would refuse the
      // question (an error, so a 500) for an id it never mints.
      if (typeof jti !== 'string' || !JTI.test(jti)) {
        throw new TokenError('TOKEN_MALFORMED', 'claim jti is not a token id')
      }
      return services.bearer.isRevoked(jti)
    },
  })
}
