/**
 * The form of a token-exchange request (RFC 8693 §2.1), read and checked before any token is
 * looked at: `application/x-www-form-urlencoded`, UTF-8, at most `MAX_TOKEN_REQUEST_BYTES`,
 * each parameter at most once (RFC 6749 §3.2), a parameter without a value as if omitted
 * (RFC 6749 §3.1). Every refusal is a `GatewayError` whose code carries the RFC 6749 `error`
 * (400 `invalid_request`, `unsupported_grant_type` or `invalid_target`); nothing a client
 * sends here is a 413, a 415 or a 500.
 */
import { GATEWAY_AUDIENCE, GatewayError } from '../../core/index.js'
import { readLimited } from './body-limit.js'
import { essence } from './media-type.js'

export const GRANT_TYPE = 'urn:ietf:params:oauth:grant-type:token-exchange'
export const TOKEN_TYPE = {
  jwt: 'urn:ietf:params:oauth:token-type:jwt',
  accessToken: 'urn:ietf:params:oauth:token-type:access_token',
  idToken: 'urn:ietf:params:oauth:token-type:id_token',
} as const
const SUBJECT_TOKEN_TYPES: readonly string[] = Object.values(TOKEN_TYPE)
const ISSUED_TOKEN_TYPES: readonly string[] = [TOKEN_TYPE.accessToken, TOKEN_TYPE.jwt]

/** Tokens are at most 8 KiB; the form around one is small. */
export const MAX_TOKEN_REQUEST_BYTES = 16_384
/** More parameters than the grant has names for is not a token request. */
const MAX_PARAMETERS = 32

export interface TokenRequest {
  subjectToken: string
  /** The token type the answer names in `issued_token_type`. */
  issuedTokenType: string
}

export function invalidTokenRequest(detail: string): GatewayError {
  return new GatewayError('EXCHANGE_REQUEST_INVALID', {
    detail,
    reason: `token exchange: ${detail}`,
  })
}

async function bodyOf(request: Request): Promise<Uint8Array> {
  const declared = request.headers.get('content-length')
  if (
    declared !== null &&
    !(/^[0-9]{1,16}$/.test(declared) && Number(declared) <= MAX_TOKEN_REQUEST_BYTES)
  ) {
    throw invalidTokenRequest(`the body may have at most ${MAX_TOKEN_REQUEST_BYTES} bytes`)
  }
  try {
    return await readLimited(request.body, MAX_TOKEN_REQUEST_BYTES)
  } catch (e) {
    if (e instanceof GatewayError && e.code === 'BODY_TOO_LARGE') {
      throw invalidTokenRequest(`the body may have at most ${MAX_TOKEN_REQUEST_BYTES} bytes`)
    }
    throw invalidTokenRequest('the body could not be read')
  }
}

async function readForm(request: Request): Promise<Map<string, string>> {
  const type = request.headers.get('content-type')
  if (type === null || essence(type) !== 'application/x-www-form-urlencoded') {
    throw invalidTokenRequest('the body must be application/x-www-form-urlencoded')
  }
  const bytes = await bodyOf(request)
  let text: string
  try {
    text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(bytes)
  } catch {
    throw invalidTokenRequest('the body is not UTF-8')
  }
  const form = new Map<string, string>()
  const seen = new Set<string>()
  for (const [name, value] of new URLSearchParams(text)) {
    if (seen.has(name)) throw invalidTokenRequest('a parameter appears more than once')
    seen.add(name)
    if (seen.size > MAX_PARAMETERS) throw invalidTokenRequest('too many parameters')
    if (value !== '') form.set(name, value)
  }
  return form
}

/** Reads and checks the form; the subject token itself is the verifier's. */
export async function readTokenRequest(request: Request): Promise<TokenRequest> {
  const form = await readForm(request)
  const grant = form.get('grant_type')
  if (grant === undefined) throw invalidTokenRequest('grant_type is required')
  if (grant !== GRANT_TYPE) {
    throw new GatewayError('EXCHANGE_GRANT_UNSUPPORTED', { reason: 'grant_type not supported' })
  }
  if (form.has('actor_token') || form.has('actor_token_type')) {
    throw invalidTokenRequest('delegation (actor_token) is not supported')
  }
  const audience = form.get('audience')
  if (form.has('resource') || (audience !== undefined && audience !== GATEWAY_AUDIENCE)) {
    throw new GatewayError('EXCHANGE_TARGET_INVALID', {
      detail: `the only audience is ${GATEWAY_AUDIENCE}`,
    })
  }
  const issuedTokenType = form.get('requested_token_type') ?? TOKEN_TYPE.accessToken
  if (!ISSUED_TOKEN_TYPES.includes(issuedTokenType)) {
    throw invalidTokenRequest('requested_token_type must be access_token or jwt')
  }
  const subjectType = form.get('subject_token_type')
  if (subjectType === undefined || !SUBJECT_TOKEN_TYPES.includes(subjectType)) {
    throw invalidTokenRequest('subject_token_type must be a jwt, access_token or id_token type')
  }
  const subjectToken = form.get('subject_token')
  if (subjectToken === undefined) throw invalidTokenRequest('subject_token is required')
  return { subjectToken, issuedTokenType }
}
