/**
 * The token services as the ingress sees them: the RPC methods of the service bindings
 * ACCESS_TOKENS and BEARER_TOKENS. Declared here rather than imported: the edge shares only
 * core/ with other folders.
 */

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
    /** The latest `exp`, in seconds: the presented token's own `exp`. */
    notAfter?: number
  }): Promise<{ token: string; expiresAt: number }>
  jwks(): Promise<PublicJwks>
}

export interface BearerTokens {
  mint(request: {
    sub: string
    /** The identity provider the caller came from, carried as the token's `idp`. */
    idp?: string
    roles?: string[]
    claims?: Record<string, unknown>
    ttlSeconds?: number
    /** The latest `exp`, in seconds: the subject token's own `exp`. */
    notAfter?: number
  }): Promise<{ token: string; expiresAt: number }>
  jwks(): Promise<PublicJwks>
  isRevoked(jti: string): Promise<boolean>
}

export interface TokenServices {
  access: AccessTokens
  bearer: BearerTokens
}

/**
 * The audience of bearer tokens (and of the token exchange's `audience` parameter). Access
 * tokens name their upstream host instead: core's `accessAudienceOf(host)`.
 */
export const GATEWAY_AUDIENCE = 'portcullis'

/** The token ids the bearer service mints (128 random bits, base64url); it refuses others. */
export const BEARER_JTI = /^[A-Za-z0-9_-]{16,64}$/
