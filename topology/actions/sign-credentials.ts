/**
 * Signs what the credential plan asks for and writes it into the key folder: the operator's
 * JWT, an account's JWT, a user's creds file (its JWT and its seed).
 */
import {
  encodeAccount,
  encodeOperator,
  encodeUser,
  fmtCreds,
  type Account,
  type Operator,
} from '@nats-io/jwt'
import { fromSeed, type KeyPair } from '@nats-io/nkeys'
import type { JwtPlan, UserPlan } from '../description/credential-plan-types.js'
import { accountJwtPath, operatorJwtPath } from './key-paths.js'
import { writePrivateFile } from './private-files.js'

export async function signOperator(
  dir: string,
  plan: JwtPlan<Operator>,
  operator: KeyPair,
): Promise<string> {
  const jwt = await encodeOperator(plan.name, operator, plan.claims)
  writePrivateFile(operatorJwtPath(dir), `${jwt}\n`)
  return jwt
}

export async function signAccount(
  dir: string,
  plan: JwtPlan<Account>,
  account: KeyPair,
  operator: KeyPair,
): Promise<string> {
  const jwt = await encodeAccount(plan.name, account, plan.claims, { signer: operator })
  writePrivateFile(accountJwtPath(dir, plan.name), `${jwt}\n`)
  return jwt
}

/**
 * A revocation at T voids every JWT of that key issued at or before T (whole seconds), so a
 * JWT issued for the same key afterwards must carry a later `iat`, which the signer stamps
 * from the real clock.
 */
async function pastSecond(t: number | undefined): Promise<void> {
  if (t === undefined) return
  while (Math.floor(Date.now() / 1000) <= t) {
    await new Promise((r) => setTimeout(r, 1000 - (Date.now() % 1000) + 5))
  }
}

/**
 * Signs a user JWT and writes its creds file; returns its expiry. The expiry is read from the
 * lifetime clock as the JWT is signed, as the signer reads `iat`: signing a whole key folder
 * takes seconds, and a JWT whose `exp - iat` strays from the lifetime is re-issued next run.
 */
export async function signUser(
  path: string,
  user: UserPlan,
  seed: Uint8Array,
  account: KeyPair,
  lifetime: { ttlSeconds: number; clock: () => number },
): Promise<number> {
  await pastSecond(user.revokedAt)
  const expiresAt = Math.floor(lifetime.clock() / 1000) + lifetime.ttlSeconds
  const kp = fromSeed(seed)
  const jwt = await encodeUser(user.identity, kp, account, user.claims, { exp: expiresAt })
  writePrivateFile(path, fmtCreds(jwt, kp))
  return expiresAt
}
