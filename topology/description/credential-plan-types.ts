/**
 * The shapes of the credential plan: what the key folder holds (the plan's input) and what
 * must be signed, kept, revoked and removed (its output).
 */
import type { Account, ClaimsData, Operator, User } from '@nats-io/jwt'
import type { BusName } from '../../core/index.js'
import type { IssueReason, StoredCredsState } from './credential-reissue.js'
import type { Topology } from './types.js'

export const OPERATOR_NAME = 'portcullis'
/** No user JWT lives longer (the cap on `bus.credentialsTtlSeconds`): older revocations can go. */
export const MAX_CREDENTIALS_TTL_SECONDS = 366 * 86_400

/** A JWT as found in the key folder: its text and, when it is a signed JWT, its claims. */
export interface StoredJwt<T> {
  jwt?: string
  claims?: ClaimsData<T>
}

export interface BusCredentialState {
  /** The public key of the bus's account. */
  accountKey: string
  account: StoredJwt<Account>
  /** Every creds file of the bus, by identity, in the folder's order. */
  creds: Array<[identity: string, stored: StoredCredsState]>
}

export interface CredentialState {
  operatorKey: string
  operator: StoredJwt<Operator>
  systemKey: string
  system: StoredJwt<Account>
  buses: Partial<Record<BusName, BusCredentialState>>
  /** Each identity's user key and seed (the seed as the creds file carries it). */
  users: Record<string, { publicKey: string; seed: string }>
}

export interface CredentialsPlanInput extends CredentialState {
  topology: Pick<Topology, 'buses'>
  ttlSeconds: number
  /** Unix seconds: when a user JWT is due for renewal is measured from here. */
  nowSeconds: number
  /**
   * Unix seconds on the clock that stamps a JWT's `iat` when it is signed: revocations are
   * compared with that, so they are stamped with it too.
   */
  revokeAtSeconds: number
  /** Further user keys to revoke on every bus where the identity has a grant. */
  revoke: Array<{ identity: string; publicKey: string }>
}

/** A JWT to sign with these claims, unless `keep` (the stored JWT) already says them. */
export interface JwtPlan<T> {
  name: string
  claims: Partial<T>
  keep?: string
}

export interface UserPlan {
  identity: string
  claims: Partial<User>
  /** Why it is signed again; absent when the stored JWT stands. */
  reason?: IssueReason
  /** A standing JWT's expiry (Unix seconds). */
  expiresAt?: number
  /** This key was revoked in the account at this second: sign only once it has passed. */
  revokedAt?: number
}

export interface Revocation {
  bus: BusName
  identity: string
  publicKey: string
}

export interface BusCredentialPlan {
  bus: BusName
  account: JwtPlan<Account>
  users: UserPlan[]
  /** Identities whose creds file on this bus goes: they have no grant here any more. */
  remove: string[]
}

export interface CredentialsPlan {
  operator: JwtPlan<Operator>
  system: JwtPlan<Account>
  buses: BusCredentialPlan[]
  revoked: Revocation[]
  /** Buses whose account JWT (or the system account's) changes: their servers need it. */
  changedAccounts: BusName[]
  systemAccountChanged: boolean
}
