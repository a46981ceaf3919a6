/**
 * Verifies the client's `Authorization: Bearer` token, when there is one, as a bearer token
 * of the gateway's own bearer service: pinned issuer and keys, revocation by `jti`. A bad
 * token is refused on every route with its precise `TOKEN_*` code; no token (no header, an
 * empty one, or another scheme such as `Basic`) passes here, and `requiredClaims` decides
 * whether the route needs one.
 */
import { createMiddleware } from 'hono/factory'
import { isTokenError, readBearerToken, type TokenVerifier } from '../../core/index.js'
import type { IngressEnv } from './types.js'

function bearerOf(authorization: string | null): string | undefined {
  try {
    return readBearerToken(authorization)
  } catch (e) {
    if (isTokenError(e) && e.code === 'TOKEN_MISSING') return undefined
    throw e
  }
}

export function bearerToken(verifier: TokenVerifier) {
  return createMiddleware<IngressEnv>(async (c, next) => {
    const token = bearerOf(c.req.raw.headers.get('authorization'))
    if (token !== undefined) c.set('bearer', await verifier.verify(token, 'bearer'))
    await next()
  })
}
