/**
 * Verifies the client's `Authorization: Bearer` token, when there is one: a bearer token of
 * the gateway's own bearer service, or a token of a configured identity provider. A bad
 * token is refused on every route with its precise `TOKEN_*` code; no token (no header, an
 * empty one, or another scheme such as `Basic`) passes here, and `requiredClaims` decides
 * whether the route needs one. A verified token becomes the request's `caller`.
 */
import { createMiddleware } from 'hono/factory'
import {
  BEARER_RESERVED_CLAIMS,
  isTokenError,
  mapExternalIdentity,
  readBearerToken,
  sha256Hex,
  type IdentityProvider,
  type TokenVerifier,
  type VerifiedToken,
} from '../../core/index.js'
import type { Caller, IngressEnv } from './types.js'

/** Claims of a bearer token that are its own envelope, not facts about the caller. */
const REGISTERED: ReadonlySet<string> = new Set(BEARER_RESERVED_CLAIMS)

function tokenOf(authorization: string | null): string | undefined {
  try {
    return readBearerToken(authorization)
  } catch (e) {
    if (isTokenError(e) && e.code === 'TOKEN_MISSING') return undefined
    throw e
  }
}

export type CallerOf = (token: string, verified: VerifiedToken) => Promise<Caller>

/** Maps a verified token to the caller: bearer tokens as they are, external ones through their provider. */
export function callerMapper(providers: readonly IdentityProvider[]): CallerOf {
  const byIssuer = new Map(providers.map((p) => [p.issuer, p]))
  return async (token, verified) => {
    const expiresAtMs = Number(verified.claims.exp) * 1000
    const provider = verified.kind === 'external' ? byIssuer.get(verified.issuer) : undefined
    if (provider) {
      const mapped = mapExternalIdentity(provider, verified.claims)
      return {
        sub: mapped.sub,
        idp: mapped.idp,
        claims: { ...mapped.claims, roles: mapped.roles, sub: mapped.sub, idp: mapped.idp },
        // External `jti`s are not ours to trust as unique: the token itself is the key.
        cacheKey: `${provider.name}\n${await sha256Hex(token)}`,
        expiresAtMs,
      }
    }
    const extra = Object.fromEntries(
      Object.entries(verified.claims).filter(([name]) => !REGISTERED.has(name)),
    )
    const roles = verified.claims.roles
    const sub = String(verified.claims.sub)
    // A bearer token issued by the token exchange names the provider its subject came from.
    const idp = typeof verified.claims.idp === 'string' ? verified.claims.idp : 'bearer'
    return {
      sub,
      idp,
      claims: { ...extra, roles: Array.isArray(roles) ? roles : [], sub, idp },
      cacheKey: `bearer\n${String(verified.claims.jti)}`,
      expiresAtMs,
    }
  }
}

export function authorization(verifier: TokenVerifier, callerOf: CallerOf) {
  return createMiddleware<IngressEnv>(async (c, next) => {
    const token = tokenOf(c.req.raw.headers.get('authorization'))
    if (token !== undefined) {
      const verified = await verifier.verify(token, ['bearer', 'external'])
      c.set('caller', await callerOf(token, verified))
    }
    await next()
  })
}
