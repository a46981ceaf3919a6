/**
 * `POST /oauth2/token`: the RFC 8693 token exchange. A token of a configured identity
 * provider (never the gateway's own bearer or access token) is verified like any external
 * token at the ingress, mapped through its provider, and exchanged for a bearer token of
 * the bearer service, valid for the provider's `exchangeTtlSeconds` and never beyond the
 * subject token's own `exp`.
 *
 * Whatever a client sends, the answer is the token or a 400 problem+json with a stable code
 * and the RFC 6749 `error` member (`invalid_request`, `unsupported_grant_type`,
 * `invalid_target`); a subject token that cannot be exchanged, for any reason, is
 * `EXCHANGE_SUBJECT_TOKEN_INVALID` with `invalid_request` (RFC 8693 §2.2.2) and its
 * `TOKEN_*` code as `detail`. The response is never cached.
 */
import type { Handler } from 'hono'
import {
  GatewayError,
  isTokenError,
  mapExternalIdentity,
  refusalReason,
  TokenError,
  type BearerTokens,
  type IdentityProvider,
  type MappedIdentity,
  type TokenVerifier,
} from '../../core/index.js'
import { mintRefusal } from './mint-refusal.js'
import { readTokenRequest } from './token-request.js'
import type { IngressEnv } from './types.js'

export { GRANT_TYPE, MAX_TOKEN_REQUEST_BYTES } from './token-request.js'
export const TOKEN_ENDPOINT_PATH = '/oauth2/token'

/**
 * A subject token with less life left than this is not exchanged (`TOKEN_EXPIRED`): the
 * bearer token would expire before a client could use it.
 */
export const MIN_EXCHANGED_LIFETIME_SECONDS = 10

export interface TokenEndpointOptions {
  verifier: TokenVerifier
  providers: readonly IdentityProvider[]
  bearer: BearerTokens
  now: () => number
}

interface Subject {
  provider: IdentityProvider
  identity: MappedIdentity
  /** The subject token's `exp`, in seconds. */
  exp: number
}

function subjectRefused(e: TokenError): GatewayError {
  return new GatewayError('EXCHANGE_SUBJECT_TOKEN_INVALID', {
    detail: e.code,
    reason: `subject_token: ${refusalReason(e)}`,
  })
}

export function tokenEndpoint(options: TokenEndpointOptions): Handler<IngressEnv> {
  const byIssuer = new Map(options.providers.map((p) => [p.issuer, p]))

  /**
   * Only an external issuer's token: a bearer token exchanged for a new one would extend its
   * own life, an access token would outlive its minutes.
   */
  async function subjectOf(token: string, nowSeconds: number): Promise<Subject> {
    const verified = await options.verifier.verify(token, 'external')
    const provider = byIssuer.get(verified.issuer)
    if (!provider) throw new TokenError('TOKEN_ISSUER_NOT_TRUSTED', 'no provider for the issuer')
    const exp = verified.claims.exp
    if (exp - nowSeconds < MIN_EXCHANGED_LIFETIME_SECONDS) {
      throw new TokenError('TOKEN_EXPIRED', 'too little life left to exchange')
    }
    return { provider, identity: mapExternalIdentity(provider, verified.claims), exp }
  }

  /** The bearer token, ending at the subject token's `exp` at the latest. */
  async function mintFor(subject: Subject, nowSeconds: number) {
    const { provider, identity, exp } = subject
    const left = Math.ceil(exp - nowSeconds)
    try {
      return await options.bearer.mint({
        sub: identity.sub,
        idp: identity.idp,
        roles: identity.roles,
        claims: identity.claims,
        ttlSeconds: Math.max(1, Math.min(provider.exchangeTtlSeconds, left)),
        notAfter: Math.floor(exp),
      })
    } catch (e) {
      throw mintRefusal(e, 'bearer token mint')
    }
  }

  return async (c) => {
    const { subjectToken, issuedTokenType } = await readTokenRequest(c.req.raw)
    const nowSeconds = options.now() / 1000
    let minted: { token: string; expiresAt: number }
    try {
      minted = await mintFor(await subjectOf(subjectToken, nowSeconds), nowSeconds)
    } catch (e) {
      throw isTokenError(e) ? subjectRefused(e) : e
    }
    const expiresIn = Math.max(0, minted.expiresAt - Math.floor(nowSeconds))
    return c.json(
      {
        access_token: minted.token,
        issued_token_type: issuedTokenType,
        token_type: 'Bearer',
        expires_in: expiresIn,
      },
      200,
      { 'cache-control': 'no-store', pragma: 'no-cache' },
    )
  }
}
