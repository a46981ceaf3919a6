/** Every code a request can be refused or failed with, its HTTP status and its problem's title. */

export const ERROR_TABLE = {
  BAD_REQUEST: { status: 400, title: 'The request is malformed' },
  EXCHANGE_REQUEST_INVALID: {
    status: 400,
    title: 'The token exchange request is invalid',
    oauthError: 'invalid_request',
  },
  EXCHANGE_GRANT_UNSUPPORTED: {
    status: 400,
    title: 'The grant type is not supported',
    oauthError: 'unsupported_grant_type',
  },
  EXCHANGE_TARGET_INVALID: {
    status: 400,
    title: 'The requested audience is not served',
    oauthError: 'invalid_target',
  },
  EXCHANGE_SUBJECT_TOKEN_INVALID: {
    status: 400,
    title: 'The subject token was not accepted',
    oauthError: 'invalid_request',
  },
  // 429 at the token endpoint, with an RFC 6749-style `error`: `slow_down` is the token
  // endpoint's registered error for a client asking too often (RFC 8628 §3.5).
  EXCHANGE_RATE_LIMITED: {
    status: 429,
    title: 'Too many token requests',
    oauthError: 'slow_down',
  },
  BODY_MALFORMED: { status: 400, title: 'The request body could not be parsed' },
  BODY_SCHEMA_VIOLATION: { status: 400, title: 'The request body does not match the schema' },
  QUERY_SCHEMA_VIOLATION: { status: 400, title: 'The query does not match the schema' },
  QUERY_MALFORMED: { status: 400, title: 'The query could not be parsed' },
  PATH_NOT_CANONICAL: { status: 400, title: 'The path is not in canonical form' },
  PATH_SCHEMA_VIOLATION: { status: 400, title: 'A path parameter does not match the schema' },
  HEADER_NOT_ALLOWED: { status: 400, title: 'A request header is not allowed' },
  HEADER_INVALID: { status: 400, title: 'A request header is invalid' },
  HEADER_SCHEMA_VIOLATION: { status: 400, title: 'A request header does not match the schema' },
  // Not a quoted key of 1..255 visible characters, more than one, or sent without a verified
  // caller to scope it to (backend/README.md, "A client's Idempotency-Key").
  IDEMPOTENCY_KEY_INVALID: { status: 400, title: 'The Idempotency-Key header is invalid' },
  // The IETF httpapi Idempotency-Key draft: the same key with another request is 422, a retry
  // while the first attempt is in progress 409.
  IDEMPOTENCY_KEY_REUSED: {
    status: 422,
    title: 'The Idempotency-Key was already used for another request',
  },
  IDEMPOTENCY_KEY_IN_FLIGHT: {
    status: 409,
    title: 'A request with this Idempotency-Key is still in progress',
    retryAfterSeconds: 1,
  },
  BODY_LIMIT_EXCEEDED: { status: 400, title: 'The request body exceeds a limit' },
  BODY_KEY_NOT_ALLOWED: { status: 400, title: 'The request body has a key that is not allowed' },
  BODY_LEAK_SIGNATURE: {
    status: 400,
    title: 'The request body holds text the gateway would not send back',
  },
  TOKEN_MISSING: { status: 401, title: 'A token is required' },
  TOKEN_MALFORMED: { status: 401, title: 'The token was not accepted' },
  TOKEN_EXPIRED: { status: 401, title: 'The token was not accepted' },
  TOKEN_NOT_YET_VALID: { status: 401, title: 'The token was not accepted' },
  TOKEN_INVALID_SIGNATURE: { status: 401, title: 'The token was not accepted' },
  TOKEN_ISSUER_NOT_TRUSTED: { status: 401, title: 'The token was not accepted' },
  TOKEN_AUDIENCE_INVALID: { status: 401, title: 'The token was not accepted' },
  TOKEN_ALGORITHM_NOT_ALLOWED: { status: 401, title: 'The token was not accepted' },
  TOKEN_KEY_UNKNOWN: { status: 401, title: 'The token was not accepted' },
  TOKEN_REVOKED: { status: 401, title: 'The token was not accepted' },
  TOKEN_KIND_MISMATCH: { status: 401, title: 'The token was not accepted' },
  TOKEN_TOO_LARGE: { status: 401, title: 'The token was not accepted' },
  CLAIMS_NOT_MET: { status: 403, title: 'Access denied' },
  INJECTION_DETECTED: { status: 403, title: 'The request was blocked' },
  HOST_NOT_FOUND: { status: 404, title: 'No such host' },
  ROUTE_NOT_FOUND: { status: 404, title: 'No such route' },
  PORT_BLOCKED: { status: 404, title: 'No such route' },
  METHOD_NOT_ALLOWED: { status: 405, title: 'Method not allowed' },
  BODY_TOO_LARGE: { status: 413, title: 'The request body is too large' },
  URL_TOO_LONG: { status: 414, title: 'The URL is too long' },
  UNSUPPORTED_MEDIA_TYPE: { status: 415, title: 'Unsupported media type' },
  RATE_LIMITED: { status: 429, title: 'Too many requests' },
  INTERNAL_ERROR: { status: 500, title: 'Internal gateway error' },
  ENVELOPE_INVALID: { status: 502, title: 'The gateway refused an internal message' },
  UPSTREAM_UNAVAILABLE: { status: 502, title: 'The upstream service is unavailable' },
  RESPONSE_STATUS_NOT_ALLOWED: { status: 502, title: 'The upstream response was refused' },
  RESPONSE_SCHEMA_VIOLATION: { status: 502, title: 'The upstream response was refused' },
  RESPONSE_LEAK: { status: 502, title: 'The upstream response was refused' },
  RESPONSE_TOO_LARGE: { status: 502, title: 'The upstream response was refused' },
  WRITE_OUTCOME_UNKNOWN: {
    status: 502,
    title: 'The upstream may have applied the request, but its answer was refused',
    upstreamMayHaveCommitted: true,
  },
  // A bus node or a stage lost and not yet replaced: the same request a second later goes
  // through (tests/ha proves the window is bounded).
  BUS_UNAVAILABLE: {
    status: 503,
    title: 'The gateway cannot reach its bus',
    retryAfterSeconds: 1,
  },
  // The replay record could not be read or written: the upstream is never called without it.
  IDEMPOTENCY_STORE_UNAVAILABLE: {
    status: 503,
    title: 'The gateway cannot record this idempotent request now',
    retryAfterSeconds: 1,
  },
  UPSTREAM_TIMEOUT: {
    status: 504,
    title: 'The upstream service did not answer in time',
    retryAfterSeconds: 1,
  },
  GATEWAY_TIMEOUT: {
    status: 504,
    title: 'The request did not complete in time',
    retryAfterSeconds: 1,
  },
} as const satisfies Record<
  string,
  {
    status: number
    title: string
    oauthError?: string
    upstreamMayHaveCommitted?: true
    /** Sent as `Retry-After` (seconds) with the problem: the refusal is worth retrying. */
    retryAfterSeconds?: number
  }
>

export type ErrorCode = keyof typeof ERROR_TABLE

export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === 'string' && Object.hasOwn(ERROR_TABLE, value)
}

/** The `Retry-After` seconds a code's problem carries, if the table gives it one. */
export function retryAfterOf(code: ErrorCode): number | undefined {
  const entry = ERROR_TABLE[code]
  return 'retryAfterSeconds' in entry ? entry.retryAfterSeconds : undefined
}
