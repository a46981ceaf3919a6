/**
 * Operator-mode credentials for the buses (NATS decentralized auth), applied: reads the key
 * folder, asks the credential plan (description/credential-plan.ts) what must change, then
 * signs and writes exactly that. A component connects with `<dir>/creds/<bus>/<identity>.creds`
 * (its user JWT and its seed); a server is given only the operator JWT and account JWTs.
 *
 * Idempotent: keys are created once and reused; JWTs are re-issued only when what they say
 * changes (grants, revocations, lifetime) or a user JWT nears its expiry.
 */
import { rmSync } from 'node:fs'
import { join } from 'node:path'
import type { Account } from '@nats-io/jwt'
import type { KeyPair } from '@nats-io/nkeys'
import { SetupError, type BusName } from '../../core/index.js'
import type { CredentialsPlan, JwtPlan, Revocation } from '../description/credential-plan-types.js'
import { planCredentials } from '../description/credential-plan.js'
import type { IssueReason } from '../description/credential-reissue.js'
import type { AccountTrust, BusTrust } from '../description/trust.js'
import type { Topology } from '../description/types.js'
import { credsFolderOf, credsPath } from './key-paths.js'
import { readKeyFolder, type Signers } from './key-folder.js'
import { signAccount, signOperator, signUser } from './sign-credentials.js'

export interface CredsStatus {
  bus: BusName
  identity: string
  path: string
  publicKey: string
  /** Unix seconds. */
  expiresAt: number
  /** Set when this run wrote the file, with why. */
  issued?: IssueReason
}

export interface CredentialsResult {
  trust: BusTrust
  creds: CredsStatus[]
  /** Buses whose account JWT (or the system account's) changed: their servers need it. */
  changedAccounts: BusName[]
  systemAccountChanged: boolean
  /** User keys revoked by this run. */
  revoked: Revocation[]
}

export interface CredentialsOptions {
  /** Lifetime of a user JWT (`bus.credentialsTtlSeconds`). */
  ttlSeconds: number
  /** Clock (ms) for expiries and renewal only; revocations always use the real clock. */
  now?: () => number
}

/**
 * Creates what is missing and re-issues what no longer fits, for every bus of the topology:
 * the operator, the system account, each bus's account (JetStream on where the bus has it,
 * revocations kept) and each identity's user JWT on each bus it has a grant on. Revoked keys
 * stop working once the servers have the new account JWT (`applyAccountChanges`). `revoke`
 * adds keys to revoke on every bus where the identity has a grant.
 */
export async function ensureCredentials(
  dir: string,
  topology: Topology,
  opts: CredentialsOptions,
  revoke: Array<{ identity: string; publicKey: string }> = [],
): Promise<CredentialsResult> {
  if (!Number.isInteger(opts.ttlSeconds) || opts.ttlSeconds < 1) {
    throw new SetupError(
      'CONFIG_INVALID',
      `credentials lifetime must be a positive whole number of seconds`,
      { key: 'bus.credentialsTtlSeconds' },
    )
  }
  const clock = opts.now ?? Date.now
  const { state, signers } = readKeyFolder(dir, topology)
  // The plan's "now", read once for the whole run. Revocations are stamped on the real clock:
  // the signer stamps a new JWT's `iat` from it, and a revocation voids what was issued up to it.
  const plan = planCredentials({
    ...state,
    topology,
    ttlSeconds: opts.ttlSeconds,
    nowSeconds: Math.floor(clock() / 1000),
    revokeAtSeconds: Math.floor(Date.now() / 1000),
    revoke,
  })
  return applyPlan(dir, plan, signers, { ttlSeconds: opts.ttlSeconds, clock })
}

async function applyPlan(
  dir: string,
  plan: CredentialsPlan,
  signers: Signers,
  lifetime: { ttlSeconds: number; clock: () => number },
): Promise<CredentialsResult> {
  const operatorJwt =
    plan.operator.keep ?? (await signOperator(dir, plan.operator, signers.operator))
  const system = await accountTrustOf(dir, plan.system, signers.system, signers.operator)
  const result: CredentialsResult = {
    trust: { operatorJwt, system, accounts: {} },
    creds: [],
    changedAccounts: plan.changedAccounts,
    systemAccountChanged: plan.systemAccountChanged,
    revoked: plan.revoked,
  }
  for (const bus of plan.buses) {
    for (const identity of bus.remove) {
      rmSync(join(credsFolderOf(dir, bus.bus), `${identity}.creds`), { force: true })
    }
    const account = signers.accounts[bus.bus]!
    result.trust.accounts[bus.bus] = await accountTrustOf(
      dir,
      bus.account,
      account,
      signers.operator,
    )
    for (const user of bus.users) {
      const key = signers.users[user.identity]!
      const path = credsPath(dir, bus.bus, user.identity)
      const expiresAt = user.reason
        ? await signUser(path, user, key.seed, account, lifetime)
        : user.expiresAt!
      result.creds.push({
        bus: bus.bus,
        identity: user.identity,
        path,
        publicKey: key.publicKey,
        expiresAt,
        ...(user.reason ? { issued: user.reason } : {}),
      })
    }
  }
  return result
}

async function accountTrustOf(
  dir: string,
  plan: JwtPlan<Account>,
  account: KeyPair,
  operator: KeyPair,
): Promise<AccountTrust> {
  const jwt = plan.keep ?? (await signAccount(dir, plan, account, operator))
  return { name: plan.name, publicKey: account.getPublicKey(), jwt }
}
