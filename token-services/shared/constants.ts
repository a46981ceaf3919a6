/**
 * The token services' fixed names, lifetimes and limits: one place for both workers and the
 * CLI. Issuers and lifetime caps come from core, where the verifiers read them, so a minted
 * token and the check that accepts it cannot drift apart.
 */
import {
  INTERNAL_ALGORITHMS,
  ISSUERS,
  KIND_DEFAULTS,
  ROLE_NAME_PATTERN,
} from '../../core/tokens/constants.js'

import { GATEWAY_AUDIENCE } from '../../core/tokens/audience.js'

export { BEARER_RESERVED_CLAIMS, RESERVED_CLAIMS } from '../../core/tokens/constants.js'
export { JTI_PATTERN } from '../../core/tokens/rpc.js'

export const ACCESS = {
  issuer: ISSUERS.access,
  keysBinding: 'ACCESS_SIGNING_KEYS',
  defaultTtlSeconds: 60,
  /** 15 minutes: a larger ask is clamped to this, never honoured. */
  maxTtlSeconds: KIND_DEFAULTS.maxLifetimeSeconds.access,
} as const

export const BEARER = {
  issuer: ISSUERS.bearer,
  audience: GATEWAY_AUDIENCE,
  keysBinding: 'BEARER_SIGNING_KEYS',
  defaultTtlSeconds: 30 * 24 * 3600,
  /** 90 days, the longest bearer lifetime the pinned verifier accepts by default. */
  maxTtlSeconds: KIND_DEFAULTS.maxLifetimeSeconds.bearer,
} as const

/** The protected header of every token: EdDSA over Ed25519, always with a `kid`. */
export const ALGORITHM = INTERNAL_ALGORITHMS[0]
export const TOKEN_TYPE = 'JWT'

/** A key id is an opaque name, never a path: it must pass the verifier's `kid` pattern. */
export const KID_PATTERN = /^[A-Za-z0-9_-]{1,64}$/

/** A role name: a plain word, so a claim rule can name it (`roles.orders`). */
export const ROLE_PATTERN = ROLE_NAME_PATTERN

export const LIMITS = {
  /** `sub`, `aud`, `idp`: printable, at most this many characters. */
  maxNameLength: 256,
  maxRoles: 64,
  /** The whole payload, as JSON: keeps a token well under the verifier's 8 KiB limit. */
  maxPayloadBytes: 4096,
  /** Nesting of the caller's extra claims. */
  maxClaimDepth: 8,
} as const

/**
 * Revocations are spread over this many Durable Objects by a hash of the `jti`. Fixed for
 * the life of a deployment: changing it would move entries to objects nobody asks.
 */
export const REVOCATION_SHARDS = 16

/**
 * A revocation outlives its token's `exp` by this much, so a verifier that allows some
 * clock skew never sees a just-expired revoked token as valid.
 */
export const REVOCATION_GRACE_SECONDS = 5 * 60
