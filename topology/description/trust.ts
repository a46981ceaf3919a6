/**
 * The public material the servers trust: the operator's JWT and the account JWTs it signed,
 * one account per bus and the system account. No seed and no user is part of it.
 */
import { SetupError, type BusName } from '../../core/index.js'

/** The system account nats-server needs for JetStream in operator mode; it has no users. */
export const SYSTEM_ACCOUNT = 'SYS'

export interface AccountTrust {
  name: string
  publicKey: string
  jwt: string
}

/** The public material the servers trust: the operator and the accounts it signed. */
export interface BusTrust {
  operatorJwt: string
  system: AccountTrust
  accounts: Partial<Record<BusName, AccountTrust>>
}

/** What one server is given: the operator, the system account and its own buses' accounts. */
export interface ServerTrust {
  operatorJwt: string
  system: AccountTrust
  accounts: AccountTrust[]
}

/** The public material one server is configured with: the accounts of the buses it carries. */
export function serverTrust(trust: BusTrust, buses: readonly BusName[]): ServerTrust {
  const accounts = buses.map((bus) => {
    const account = trust.accounts[bus]
    if (!account) {
      throw new SetupError('KEY_MISSING', `no account for the ${bus} bus (run \`portcullis keys\`)`)
    }
    return account
  })
  return { operatorJwt: trust.operatorJwt, system: trust.system, accounts }
}
