/**
 * The token services' RPC contract: the methods the ingress calls on its service bindings
 * ACCESS_TOKENS and BEARER_TOKENS, what they take and answer, and how a failure reads once
 * it has crossed a binding. Declared once: the workers' entrypoints implement these
 * interfaces, the edge types its bindings with them.
 */

export interface AccessMintRequest {
  sub: string
  /** Who the token is for: `accessAudienceOf(host)`, the upstream host of the request. */
  aud: string
  /** The issuer the caller's own token came from (`bearer.token.core`, an IdP's `iss`). */
  idp: string
  claims?: Record<string, unknown>
  /** Default 60 s; anything above 15 minutes is clamped to 15 minutes. */
  ttlSeconds?: number
  /** The latest `exp` (seconds since the epoch): the caller's own token's `exp`. */
  notAfter?: number
}

export interface BearerMintRequest {
  sub: string
  /** The identity provider the subject came from (the token exchange sets it). */
  idp?: string
  roles?: string[]
  claims?: Record<string, unknown>
  ttlSeconds?: number
  /** The latest `exp` (seconds since the epoch): the exchanged token's own `exp`. */
  notAfter?: number
}

export interface MintResult {
  token: string
  /** The token's `exp`: seconds since the epoch. */
  expiresAt: number
  kid: string
}

/** A public Ed25519 key as the JWKS publishes it. */
export interface PublicJwk {
  kty: 'OKP'
  crv: 'Ed25519'
  x: string
  kid: string
  alg: 'EdDSA'
  use: 'sig'
}

/** A service's public keys: current first, then previous while it is kept. */
export interface PublicJwks {
  keys: PublicJwk[]
}

/** `AccessTokenService` of the `portcullis-access-token` worker. */
export interface AccessTokens {
  mint(request: AccessMintRequest): Promise<MintResult>
  jwks(): Promise<PublicJwks>
}

/** `BearerTokenService` of the `portcullis-bearer-token` worker. */
export interface BearerTokens {
  mint(request: BearerMintRequest): Promise<MintResult>
  jwks(): Promise<PublicJwks>
  /** Revokes the token `jti` whose `exp` is `expiresAt` (seconds since the epoch). */
  revoke(jti: string, expiresAt: number): Promise<void>
  isRevoked(jti: string): Promise<boolean>
}

export interface TokenServices {
  access: AccessTokens
  bearer: BearerTokens
}

/** A `jti` the services mint: 128 random bits, base64url. `revoke` and `isRevoked` refuse others. */
export const JTI_PATTERN = /^[A-Za-z0-9_-]{16,64}$/

export const TOKEN_SERVICE_ERROR_CODES = [
  /** The signing-keys secret is not set. */
  'SIGNING_KEYS_MISSING',
  /** The signing-keys secret is set but is not one or two Ed25519 private JWKs with kids. */
  'SIGNING_KEYS_INVALID',
  /** A mint request that does not fit (empty `sub`, a bad role, claims too large, ...). */
  'MINT_REQUEST_INVALID',
  /** A revocation request or lookup with a malformed `jti` or expiry. */
  'REVOKE_REQUEST_INVALID',
] as const

export type TokenServiceErrorCode = (typeof TOKEN_SERVICE_ERROR_CODES)[number]

/**
 * An error that crosses a service binding keeps only its message (prefixed with its class
 * name on the way), so a token service's failure leads its message with its code.
 */
export function tokenServiceMessage(code: TokenServiceErrorCode, what: string): string {
  return `${code}: ${what}`
}

const CODE_IN_MESSAGE = /^(?:[A-Za-z]*Error: )?([A-Z_]+): (.*)$/s

/** A token service's failure read back from its message; undefined for any other error. */
export function readTokenServiceError(
  error: unknown,
): { code: TokenServiceErrorCode; what: string } | undefined {
  if (!(error instanceof Error)) return undefined
  const m = CODE_IN_MESSAGE.exec(error.message)
  const code = m?.[1] as TokenServiceErrorCode | undefined
  return code !== undefined && TOKEN_SERVICE_ERROR_CODES.includes(code)
    ? { code, what: m![2]! }
    : undefined
}
