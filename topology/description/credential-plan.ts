/**
 * The credential plan: from the description and what the key folder holds now, which JWTs
 * must be (re)signed, which stand, which creds files go and which user keys are revoked. One
 * operator signs a system account and one account per bus; each bus's account signs one user
 * JWT per identity with a grant on that bus. Pure: the caller reads the folder and the clock
 * and passes them in; actions/ensure-credentials.ts signs and writes what the plan says.
 */
import { planBusCredentials } from './bus-credential-plan.js'
import { accountClaimsOf } from './credential-claims.js'
import {
  OPERATOR_NAME,
  type CredentialsPlan,
  type CredentialsPlanInput,
  type JwtPlan,
} from './credential-plan-types.js'
import { standingAccount, standingOperator } from './standing-jwts.js'
import { SYSTEM_ACCOUNT } from './trust.js'
import type { Operator } from '@nats-io/jwt'

export function planCredentials(input: CredentialsPlanInput): CredentialsPlan {
  const operatorJwt = standingOperator(input.operator, input.operatorKey, input.systemKey)
  const operator: JwtPlan<Operator> = {
    name: OPERATOR_NAME,
    claims: { system_account: input.systemKey },
    ...(operatorJwt && { keep: operatorJwt }),
  }
  const systemClaims = accountClaimsOf(false, {})
  const systemJwt = standingAccount(
    input.system,
    SYSTEM_ACCOUNT,
    input.systemKey,
    input.operatorKey,
    systemClaims,
  )
  const systemAccountChanged = systemJwt === undefined
  const plan: CredentialsPlan = {
    operator,
    system: { name: SYSTEM_ACCOUNT, claims: systemClaims, ...(systemJwt && { keep: systemJwt }) },
    buses: [],
    revoked: [],
    changedAccounts: systemAccountChanged ? input.topology.buses.map((b) => b.name) : [],
    systemAccountChanged,
  }
  for (const bus of input.topology.buses) {
    const busPlan = planBusCredentials(bus, input, plan.revoked)
    plan.buses.push(busPlan)
    if (busPlan.account.keep === undefined && !plan.changedAccounts.includes(bus.name))
      plan.changedAccounts.push(bus.name)
  }
  return plan
}
