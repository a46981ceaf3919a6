/**
 * Refuses trust material that does not chain before a server is configured with it: a
 * self-signed operator naming the system account, and accounts signed by that operator with
 * the public keys they claim, one per bus the server carries.
 */
import type { Account, ClaimsData, Operator } from '@nats-io/jwt'
import { SetupError } from '../../core/index.js'
import { claimsOf } from './jwt-claims.js'
import type { ServerTrust } from './trust.js'
import type { NatsServerSpec } from './types.js'

const ACCOUNT_KEY = /^A[A-Z2-7]{55}$/
const ACCOUNT_NAME = /^[A-Za-z0-9_-]+$/

function claims<T>(jwt: string, what: string): ClaimsData<T> {
  const c = claimsOf<T>(jwt)
  if (!c) throw new SetupError('KEY_INVALID', `${what} is not a valid signed JWT`)
  return c
}

export function checkTrust(server: NatsServerSpec, trust: ServerTrust): void {
  const op = claims<Operator>(trust.operatorJwt, 'the operator JWT')
  if (op.iss !== op.sub || op.nats.type !== 'operator') {
    throw new SetupError('KEY_INVALID', 'the operator JWT is not a self-signed operator')
  }
  if (op.nats.system_account !== trust.system.publicKey) {
    throw new SetupError('KEY_INVALID', 'the operator JWT names another system account')
  }
  if (trust.accounts.length !== server.buses.length) {
    throw new SetupError(
      'TOPOLOGY_INVALID',
      `server ${server.name} carries ${server.buses.length} buses, given ${trust.accounts.length} accounts`,
    )
  }
  for (const account of [...trust.accounts, trust.system]) {
    if (!ACCOUNT_NAME.test(account.name)) {
      throw new SetupError('TOPOLOGY_INVALID', `bad account name ${JSON.stringify(account.name)}`)
    }
    if (!ACCOUNT_KEY.test(account.publicKey)) {
      throw new SetupError(
        'KEY_INVALID',
        `account ${account.name} of ${server.name}: not a public account key`,
      )
    }
    const c = claims<Account>(account.jwt, `the ${account.name} account JWT`)
    if (c.sub !== account.publicKey || c.iss !== op.sub || c.nats.type !== 'account') {
      throw new SetupError(
        'KEY_INVALID',
        `the ${account.name} account JWT is not this operator's ${account.name}`,
      )
    }
  }
}
