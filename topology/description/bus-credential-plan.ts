/**
 * The credential plan of one bus: each grant's user JWT (stands, or signed again and why),
 * the keys its account revokes, the creds files of identities without a grant here any more,
 * and the account JWT carrying those revocations.
 */
import { SetupError } from '../../core/index.js'
import { accountClaimsOf, userClaimsOf } from './credential-claims.js'
import {
  MAX_CREDENTIALS_TTL_SECONDS,
  type BusCredentialPlan,
  type CredentialsPlanInput,
  type Revocation,
  type UserPlan,
} from './credential-plan-types.js'
import { reissueReason, type StoredCredsState } from './credential-reissue.js'
import { standingAccount } from './standing-jwts.js'
import type { BusSpec } from './types.js'

function checkGrants(bus: BusSpec): void {
  const seen = new Set<string>()
  for (const g of bus.grants) {
    if (seen.has(g.identity)) {
      throw new SetupError(
        'TOPOLOGY_INVALID',
        `identity ${g.identity} granted twice on ${bus.name}`,
      )
    }
    seen.add(g.identity)
  }
}

function expiryOf(have: StoredCredsState): number {
  return typeof have === 'object' ? (have.claims.exp ?? Infinity) : Infinity
}

/** Revocations older than the longest lifetime a JWT may have void nothing any more. */
function prune(revocations: Record<string, number>, nowSeconds: number): Record<string, number> {
  const oldest = nowSeconds - MAX_CREDENTIALS_TTL_SECONDS
  return Object.fromEntries(Object.entries(revocations).filter(([, t]) => t >= oldest))
}

/**
 * A user key that a stored JWT names but the identity no longer has, or a grant that was
 * narrowed or removed, is revoked in the account, so the old JWT stops working once the
 * servers have the new account JWT. `revoked` collects what this plan revokes.
 */
export function planBusCredentials(
  bus: BusSpec,
  input: CredentialsPlanInput,
  revoked: Revocation[],
): BusCredentialPlan {
  checkGrants(bus)
  const state = input.buses[bus.name]
  if (!state) {
    throw new SetupError('KEY_MISSING', `no account key for the ${bus.name} bus was read`)
  }
  const { accountKey } = state
  const stored = new Map(state.creds)
  const account = state.account
  // The stored account JWT's revocations, when it is this account's.
  const revocations: Record<string, number> =
    account.claims?.sub === accountKey ? { ...(account.claims.nats.revocations ?? {}) } : {}
  const revokeKey = (identity: string, publicKey: string, at: number) => {
    if ((revocations[publicKey] ?? -1) >= at) return
    revocations[publicKey] = at
    revoked.push({ bus: bus.name, identity, publicKey })
  }
  const now = input.revokeAtSeconds

  const planned: Array<Omit<UserPlan, 'revokedAt'> & { publicKey: string }> = []
  for (const grant of bus.grants) {
    const claims = userClaimsOf(bus, grant)
    const user = input.users[grant.identity]
    if (!user) {
      throw new SetupError(
        'TOPOLOGY_INVALID',
        `grant of ${grant.identity} on ${bus.name}: no such identity`,
      )
    }
    const have = stored.get(grant.identity)
    const reason = reissueReason(have, user, accountKey, claims, revocations, {
      ttlSeconds: input.ttlSeconds,
      nowSeconds: input.nowSeconds,
    })
    if (typeof have === 'object' && have.claims.iss === accountKey) {
      // A superseded key is revoked outright; a changed grant revokes the JWTs issued so far.
      if (reason === 'key changed') revokeKey(grant.identity, have.claims.sub, now)
      if (reason === 'grant changed') revokeKey(grant.identity, have.claims.sub, have.claims.iat)
    }
    planned.push({
      identity: grant.identity,
      publicKey: user.publicKey,
      claims,
      ...(reason ? { reason } : { expiresAt: expiryOf(have) }),
    })
  }
  for (const { identity, publicKey } of input.revoke) {
    if (bus.grants.some((g) => g.identity === identity)) revokeKey(identity, publicKey, now)
  }
  // Credentials left from an identity that has no grant here any more.
  const remove: string[] = []
  for (const [identity, have] of state.creds) {
    if (bus.grants.some((g) => g.identity === identity)) continue
    if (typeof have === 'object' && have.claims.iss === accountKey)
      revokeKey(identity, have.claims.sub, now)
    remove.push(identity)
  }

  const claims = accountClaimsOf(bus.jetstream, prune(revocations, now))
  const keep = standingAccount(account, bus.name, accountKey, input.operatorKey, claims)
  return {
    bus: bus.name,
    account: { name: bus.name, claims, ...(keep && { keep }) },
    users: planned.map(({ publicKey, ...user }) => {
      const revokedAt = user.reason ? revocations[publicKey] : undefined
      return { ...user, ...(revokedAt !== undefined && { revokedAt }) }
    }),
    remove,
  }
}
