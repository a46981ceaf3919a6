/**
 * `GET /.well-known/jwks.json`: the access service's public keys, for verifiers of access
 * tokens (the request validator, the operator's API). Public keys only; cached briefly.
 */
import type { Context } from 'hono'
import { failureReason, GatewayError, type AccessTokens } from '../../core/index.js'
import type { IngressEnv } from './types.js'

export const JWKS_PATH = '/.well-known/jwks.json'

export function jwks(access: AccessTokens) {
  return async (c: Context<IngressEnv>): Promise<Response> => {
    let body: string
    try {
      body = JSON.stringify(await access.jwks())
    } catch (e) {
      throw new GatewayError('INTERNAL_ERROR', {
        reason: `access jwks failed: ${failureReason(e)}`,
      })
    }
    return new Response(body, {
      headers: { 'content-type': 'application/json', 'cache-control': 'max-age=60' },
    })
  }
}
