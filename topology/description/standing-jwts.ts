/** Whether the operator and account JWTs in the key folder still say what they must. */
import type { Account, Operator } from '@nats-io/jwt'
import { canonical } from './canonical-json.js'
import type { StoredJwt } from './credential-plan-types.js'

/** The stored account JWT when it is this account's, signed by the operator, saying `want`. */
export function standingAccount(
  stored: StoredJwt<Account>,
  name: string,
  accountKey: string,
  operatorKey: string,
  want: Partial<Account>,
): string | undefined {
  const { jwt, claims } = stored
  const same =
    jwt &&
    claims?.sub === accountKey &&
    claims.iss === operatorKey &&
    claims.name === name &&
    claims.nats.type === 'account' &&
    canonical({ limits: claims.nats.limits, revocations: claims.nats.revocations }) ===
      canonical(want)
  return same ? jwt : undefined
}

/** The stored operator JWT when it is self-signed by `operatorKey` and names the system account. */
export function standingOperator(
  stored: StoredJwt<Operator>,
  operatorKey: string,
  systemKey: string,
): string | undefined {
  const { jwt, claims } = stored
  const same =
    jwt &&
    claims?.sub === operatorKey &&
    claims.iss === operatorKey &&
    claims.nats.type === 'operator' &&
    claims.nats.system_account === systemKey &&
    claims.exp === undefined
  return same ? jwt : undefined
}
