/**
 * `POST /oauth2/token`: the RFC 8693 token exchange. A token of a configured identity
 * provider (never the gateway's own bearer or access token) is verified like any external
 * token at the ingress, mapped through its provider, and exchanged for a bearer token of
 * the bearer service, valid for the provider's `exchangeTtlSeconds`.
 *
 * Refusals are problem+json with a stable code and, for OAuth clients, the RFC 6749 `error`
 * member (`invalid_request`, `unsupported_grant_type`, `invalid_target`). The response is
 * never cached.
 */
import type { Handler } from 'hono'
import {
  GatewayError,
  isTokenError,
  mapExternalIdentity,
  type IdentityProvider,
  type TokenVerifier,
} from '../../core/index.js'
import { readLimited } from './body-limit.js'
import { essence } from './media-type.js'
import { GATEWAY_AUDIENCE, type BearerTokens } from './token-services.js'
import type { IngressEnv } from './types.js'

export const TOKEN_ENDPOINT_PATH = '/oauth2/token'
export const GRANT_TYPE = 'urn:ietf:params:oauth:grant-type:token-exchange'
const TOKEN_TYPE = {
  jwt: 'urn:ietf:params:oauth:token-type:jwt',
  accessToken: 'urn:ietf:params:oauth:token-type:access_token',
  idToken: 'urn:ietf:params:oauth:token-type:id_token',
} as const
const SUBJECT_TOKEN_TYPES: readonly string[] = Object.values(TOKEN_TYPE)
const ISSUED_TOKEN_TYPES: readonly string[] = [TOKEN_TYPE.accessToken, TOKEN_TYPE.jwt]

/** Tokens are at most 8 KiB; the form around one is small. */
export const MAX_TOKEN_REQUEST_BYTES = 16_384

const KNOWN_PARAMETERS = new Set([
  'grant_type',
  'subject_token',
  'subject_token_type',
  'requested_token_type',
  'audience',
  'resource',
  'scope',
  'actor_token',
  'actor_token_type',
])

function invalid(detail: string): GatewayError {
  return new GatewayError('EXCHANGE_REQUEST_INVALID', {
    detail,
    reason: `token exchange: ${detail}`,
  })
}

async function readForm(request: Request): Promise<Map<string, string>> {
  const type = request.headers.get('content-type')
  if (type === null || essence(type) !== 'application/x-www-form-urlencoded') {
    throw invalid('the body must be application/x-www-form-urlencoded')
  }
  const declared = request.headers.get('content-length')
  if (declared !== null && !(Number(declared) <= MAX_TOKEN_REQUEST_BYTES)) {
    throw new GatewayError('BODY_TOO_LARGE', {
      detail: `the body may have at most ${MAX_TOKEN_REQUEST_BYTES} bytes`,
    })
  }
  const bytes = await readLimited(request.body, MAX_TOKEN_REQUEST_BYTES)
  let text: string
  try {
    text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(bytes)
  } catch {
    throw invalid('the body is not UTF-8')
  }
  const form = new Map<string, string>()
  for (const [name, value] of new URLSearchParams(text)) {
    // RFC 6749 §3.2: a parameter appears at most once.
    if (form.has(name)) throw invalid(`parameter ${name} appears more than once`)
    if (KNOWN_PARAMETERS.has(name)) form.set(name, value)
  }
  return form
}

export interface TokenEndpointOptions {
  verifier: TokenVerifier
  providers: readonly IdentityProvider[]
  bearer: BearerTokens
  now: () => number
}

export function tokenEndpoint(options: TokenEndpointOptions): Handler<IngressEnv> {
  const byIssuer = new Map(options.providers.map((p) => [p.issuer, p]))
  return async (c) => {
    const form = await readForm(c.req.raw)
    const grant = form.get('grant_type')
    if (grant === undefined) throw invalid('grant_type is required')
    if (grant !== GRANT_TYPE) {
      throw new GatewayError('EXCHANGE_GRANT_UNSUPPORTED', { reason: 'grant_type not supported' })
    }
    if (form.has('actor_token') || form.has('actor_token_type')) {
      throw invalid('delegation (actor_token) is not supported')
    }
    const audience = form.get('audience')
    if (form.has('resource') || (audience !== undefined && audience !== GATEWAY_AUDIENCE)) {
      throw new GatewayError('EXCHANGE_TARGET_INVALID', {
        detail: `the only audience is ${GATEWAY_AUDIENCE}`,
      })
    }
    const requested = form.get('requested_token_type') ?? TOKEN_TYPE.accessToken
    if (!ISSUED_TOKEN_TYPES.includes(requested)) {
      throw invalid('requested_token_type must be access_token or jwt')
    }
    const subjectType = form.get('subject_token_type')
    if (subjectType === undefined || !SUBJECT_TOKEN_TYPES.includes(subjectType)) {
      throw invalid('subject_token_type must be a jwt, access_token or id_token type')
    }
    const subjectToken = form.get('subject_token')
    if (!subjectToken) throw invalid('subject_token is required')

    let provider: IdentityProvider | undefined
    let identity
    try {
      // Only an external issuer's token: a bearer token exchanged for a new one would
      // extend its own life, an access token would outlive its minutes.
      const verified = await options.verifier.verify(subjectToken, 'external')
      provider = byIssuer.get(verified.issuer)
      if (!provider) throw new Error('no provider for a verified issuer')
      identity = mapExternalIdentity(provider, verified.claims)
    } catch (e) {
      if (!isTokenError(e)) throw e
      throw new GatewayError('EXCHANGE_SUBJECT_TOKEN_INVALID', {
        detail: e.code,
        reason: `subject_token: ${e.reason ?? e.code}`,
      })
    }
    let minted: { token: string; expiresAt: number }
    try {
      minted = await options.bearer.mint({
        sub: identity.sub,
        idp: identity.idp,
        roles: identity.roles,
        claims: identity.claims,
        ttlSeconds: provider.exchangeTtlSeconds,
      })
    } catch (e) {
      throw new GatewayError('INTERNAL_ERROR', {
        reason: `bearer token mint failed: ${e instanceof Error ? e.message : String(e)}`,
      })
    }
    const expiresIn = Math.max(0, minted.expiresAt - Math.floor(options.now() / 1000))
    return c.json(
      {
        access_token: minted.token,
        issued_token_type: requested,
        token_type: 'Bearer',
        expires_in: expiresIn,
      },
      200,
      { 'cache-control': 'no-store', pragma: 'no-cache' },
    )
  }
}
