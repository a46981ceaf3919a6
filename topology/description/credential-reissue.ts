/** Whether a user's stored credentials still hold, and if not, why they must be re-issued. */
import type { ClaimsData, User } from '@nats-io/jwt'
import { canonical } from './canonical-json.js'

/** A user JWT is renewed once less than this share of its lifetime is left. */
const RENEW_WHEN_LEFT = 1 / 3
/** Clock drift tolerated between the lifetime asked for and the one a JWT carries. */
const LIFETIME_SLACK_SECONDS = 2

export type IssueReason =
  | 'new'
  | 'unreadable'
  | 'key changed'
  | 'account changed'
  | 'grant changed'
  | 'lifetime changed'
  | 'revoked'
  | 'renewal due'

/** A creds file as found: its JWT, the seed beside it and the JWT's claims. */
export interface StoredCreds {
  jwt: string
  seed: string
  claims: ClaimsData<User>
}

/** What a creds file holds: readable credentials, something else, or no file at all. */
export type StoredCredsState = StoredCreds | 'unreadable' | undefined

/** Why a user's stored credentials must be re-issued, or undefined when they still hold. */
export function reissueReason(
  have: StoredCredsState,
  user: { publicKey: string; seed: string },
  account: string,
  want: Partial<User>,
  revocations: Record<string, number>,
  opts: { ttlSeconds: number; nowSeconds: number },
): IssueReason | undefined {
  if (have === undefined) return 'new'
  if (have === 'unreadable') return 'unreadable'
  const { claims } = have
  if (claims.sub !== user.publicKey || have.seed !== user.seed) return 'key changed'
  if (claims.iss !== account) return 'account changed'
  const { type: _t, version: _v, ...nats } = claims.nats
  if (canonical(nats) !== canonical(want)) return 'grant changed'
  const revokedAt = revocations[claims.sub]
  if (revokedAt !== undefined && claims.iat <= revokedAt) return 'revoked'
  const exp = claims.exp ?? Infinity
  if (Math.abs(exp - claims.iat - opts.ttlSeconds) > LIFETIME_SLACK_SECONDS)
    return 'lifetime changed'
  if (exp - opts.nowSeconds < opts.ttlSeconds * RENEW_WHEN_LEFT) return 'renewal due'
  return undefined
}
