/** Fixed names, algorithm lists and defaults of token verification. */

export const TOKEN_KIND_NAMES = ['access', 'bearer', 'external'] as const
export type TokenKindName = (typeof TOKEN_KIND_NAMES)[number]

/** The issuers the gateway's own token services stamp. */
export const ISSUERS = {
  access: 'access.token.core',
  bearer: 'bearer.token.core',
} as const

/** The gateway's own tokens are Ed25519 only. */
export const INTERNAL_ALGORITHMS = ['EdDSA'] as const

/** What an external issuer may use: asymmetric signatures only, never `none`, never HMAC. */
export const EXTERNAL_ALGORITHMS = [
  'RS256',
  'RS384',
  'RS512',
  'PS256',
  'PS384',
  'PS512',
  'ES256',
  'ES384',
  'EdDSA',
] as const
export type TokenAlgorithm = (typeof EXTERNAL_ALGORITHMS)[number]

/**
 * Claims the token services stamp on every token they mint: a caller's own claims never set
 * them, and a verified token's extra facts about its caller are the claims beside them.
 */
export const RESERVED_CLAIMS = ['iss', 'aud', 'sub', 'iat', 'exp', 'nbf', 'jti', 'idp'] as const

/**
 * A bearer token's reserved claims: the stamped ones and `roles`, which has a field of its
 * own (and an identity provider's mapping fills it through the role map, never by name).
 */
export const BEARER_RESERVED_CLAIMS = [...RESERVED_CLAIMS, 'roles'] as const

/** The claims every kind requires, whatever its config adds. */
export const ALWAYS_REQUIRED_CLAIMS = ['iss', 'aud', 'exp', 'iat', 'sub'] as const

export const KIND_DEFAULTS = {
  maxTokenBytes: 8192,
  clockSkewSeconds: 30,
  maxLifetimeSeconds: {
    access: 15 * 60,
    bearer: 90 * 24 * 3600,
    external: 24 * 3600,
  },
} as const

export const KIND_LIMITS = {
  minTokenBytes: 256,
  maxTokenBytes: 65536,
  maxClockSkewSeconds: 300,
  /** Longest lifetime any kind may allow: a year and a day. */
  maxLifetimeSeconds: 366 * 24 * 3600,
} as const

export const KEYSET_DEFAULTS = {
  /** An unknown `kid` may cause at most one fetch per window. */
  cooldownSeconds: 30,
  /** Keys older than this are refreshed on the next lookup. */
  refreshSeconds: 10 * 60,
  /** Keys older than this are dropped even when the issuer cannot be reached. */
  maxStaleSeconds: 24 * 3600,
  /** How long a lookup waits for a shared refresh before it goes on without it. */
  refreshWaitMs: 5000,
  maxKeys: 32,
  maxKeyBytes: 8192,
  maxJwksBytes: 65536,
  /** Unknown kids remembered until the next refresh; beyond this they are not recorded. */
  maxUnknownKids: 1024,
} as const

/**
 * A `kid` is an opaque name, never a path or a query: letters, digits and `._~+=:-` only,
 * so `/`, `\`, quotes, spaces, `;`, `%` and control characters are refused.
 */
export const KID_PATTERN = /^[A-Za-z0-9._~+=:-]{1,128}$/

/** A role name: a plain word, so a claim rule can name it (`roles.orders`). */
export const ROLE_NAME_PATTERN = /^[A-Za-z0-9_-]{1,64}$/

/** Claim names a kind may require: plain names, not paths or expressions. */
export const CLAIM_NAME_PATTERN = /^[A-Za-z0-9_.:-]{1,64}$/

/** Header members that carry or point at keys, or change how the token is read. */
export const REFUSED_HEADER_MEMBERS = [
  'jku',
  'x5u',
  'jwk',
  'x5c',
  'crit',
  'b64',
  'zip',
  'cty',
  'enc',
] as const

/** Depth of nested JSON accepted in a header or a payload. */
export const MAX_JSON_DEPTH = 32
