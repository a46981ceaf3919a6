/**
 * What a revocation stores and where. Pure: the caller passes `now` (seconds).
 *
 * An entry is kept until its token's `exp` plus a grace period (so a verifier's clock skew
 * cannot revive a revoked token), never longer than the longest bearer lifetime from now:
 * the list cannot grow beyond the tokens that can still be alive.
 */
import {
  BEARER,
  JTI_PATTERN,
  REVOCATION_GRACE_SECONDS,
  REVOCATION_SHARDS,
  TokenServiceError,
} from '../shared/index.js'

export function checkJti(jti: unknown): string {
  if (typeof jti !== 'string' || !JTI_PATTERN.test(jti)) {
    throw new TokenServiceError(
      'REVOKE_REQUEST_INVALID',
      'jti is not a token id these services mint',
    )
  }
  return jti
}

/** Seconds until which a revocation must be kept, or undefined when its token is dead anyway. */
export function keepUntilOf(expiresAt: unknown, now: number): number | undefined {
  if (typeof expiresAt !== 'number' || !Number.isSafeInteger(expiresAt) || expiresAt < 1) {
    throw new TokenServiceError(
      'REVOKE_REQUEST_INVALID',
      'expiresAt must be the token exp, in whole seconds since the epoch',
    )
  }
  const keepUntil = Math.min(expiresAt, now + BEARER.maxTtlSeconds) + REVOCATION_GRACE_SECONDS
  return keepUntil > now ? keepUntil : undefined
}

/** The name of the Durable Object that holds a `jti`'s revocation (FNV-1a of the jti). */
export function shardOf(jti: string): string {
  let hash = 0x811c9dc5
  for (let i = 0; i < jti.length; i++) {
    hash ^= jti.charCodeAt(i)
    hash = Math.imul(hash, 0x01000193)
  }
  return `revocations-${(hash >>> 0) % REVOCATION_SHARDS}`
}
