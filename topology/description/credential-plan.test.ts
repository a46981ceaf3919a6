import { describe, expect, it } from 'vitest'
import type { ClaimsData, User } from '@nats-io/jwt'
import { createAccount, createOperator, createUser } from '@nats-io/nkeys'
import { fileURLToPath } from 'node:url'
import type { BusName } from '../../core/index.js'
import { parseConfig } from '../../config/index.js'
import { userClaimsOf } from './credential-claims.js'
import type { CredentialState, CredentialsPlanInput } from './credential-plan-types.js'
import { planCredentials } from './credential-plan.js'
import { describeTopology } from './describe.js'

const ROOT = fileURLToPath(new URL('../..', import.meta.url))
const topology = describeTopology(
  parseConfig(
    {
      topology: 'single-validation',
      upstreams: { demo: { baseUrl: 'http://127.0.0.1:8790', openapi: 'demo/openapi.json' } },
    },
    `${ROOT}portcullis.config.json`,
  ),
)
const NOW = 1_800_000_000
const TTL = 3600

/** A key folder with keys and no JWT yet, made in memory: the plan reads nothing itself. */
function emptyFolder(): CredentialState {
  const key = (kp: { getPublicKey(): string }) => kp.getPublicKey()
  return {
    operatorKey: key(createOperator()),
    operator: {},
    systemKey: key(createAccount()),
    system: {},
    buses: Object.fromEntries(
      topology.buses.map((s) => [
        s.name,
        { accountKey: key(createAccount()), account: {}, creds: [] },
      ]),
    ),
    users: Object.fromEntries(
      topology.identities.map((i) => {
        const kp = createUser()
        return [
          i.id,
          { publicKey: kp.getPublicKey(), seed: new TextDecoder().decode(kp.getSeed()) },
        ]
      }),
    ),
  }
}

function input(
  state: CredentialState,
  more: Partial<CredentialsPlanInput> = {},
): CredentialsPlanInput {
  return {
    ...state,
    topology,
    ttlSeconds: TTL,
    nowSeconds: NOW,
    revokeAtSeconds: NOW,
    revoke: [],
    ...more,
  }
}

/** The relay's stored creds on `bus`, as a file signed by that bus's account would hold them. */
function storedRelay(state: CredentialState, bus: BusName, iat: number, userKey?: string) {
  const spec = topology.buses.find((s) => s.name === bus)!
  const grant = spec.grants.find((g) => g.identity === 'relay')!
  const relay = state.users.relay!
  const claims = {
    sub: userKey ?? relay.publicKey,
    iss: state.buses[bus]!.accountKey,
    iat,
    exp: iat + TTL,
    nats: { type: 'user', version: 2, ...userClaimsOf(spec, grant) },
  } as unknown as ClaimsData<User>
  return { jwt: 'stored', seed: relay.seed, claims }
}

describe('planCredentials', () => {
  it('an empty key folder: every JWT is signed, every user new, nothing revoked', () => {
    const plan = planCredentials(input(emptyFolder()))
    expect(plan.operator.keep).toBeUndefined()
    expect(plan.system.keep).toBeUndefined()
    expect(plan.changedAccounts).toEqual(['link', 'dreq', 'cresp'])
    expect(plan.revoked).toEqual([])
    const users = plan.buses.flatMap((b) => b.users)
    expect(users).toHaveLength(topology.buses.flatMap((s) => s.grants).length)
    expect(new Set(users.map((u) => u.reason))).toEqual(new Set(['new']))
  })

  it('measures renewal from the now it is given, and keeps what still holds', () => {
    const state = emptyFolder()
    state.buses.dreq!.creds = [['relay', storedRelay(state, 'dreq', NOW - 1000)]]
    const relayOn = (now: number) =>
      planCredentials(input(state, { nowSeconds: now }))
        .buses.find((b) => b.bus === 'dreq')!
        .users.find((u) => u.identity === 'relay')!
    expect(relayOn(NOW)).toMatchObject({ expiresAt: NOW - 1000 + TTL })
    expect(relayOn(NOW).reason).toBeUndefined()
    expect(relayOn(NOW + 2000).reason).toBe('renewal due')
  })

  it('revokes a superseded key at the revocation time it is given', () => {
    const state = emptyFolder()
    const old = createUser().getPublicKey()
    state.buses.dreq!.creds = [['relay', storedRelay(state, 'dreq', NOW - 10, old)]]
    const plan = planCredentials(input(state, { revokeAtSeconds: NOW + 5 }))
    expect(plan.revoked).toEqual([{ bus: 'dreq', identity: 'relay', publicKey: old }])
    const dreq = plan.buses.find((b) => b.bus === 'dreq')!
    expect(dreq.account.claims.revocations).toEqual({ [old]: NOW + 5 })
    expect(dreq.users.find((u) => u.identity === 'relay')?.reason).toBe('key changed')
  })

  it('removes and revokes the creds of an identity without a grant on that bus', () => {
    const state = emptyFolder()
    const stale = storedRelay(state, 'cresp', NOW - 10)
    state.buses.link!.creds = [
      ['gone', { ...stale, claims: { ...stale.claims, iss: state.buses.link!.accountKey } }],
    ]
    const plan = planCredentials(input(state))
    expect(plan.buses.find((b) => b.bus === 'link')!.remove).toEqual(['gone'])
    expect(plan.revoked).toEqual([
      { bus: 'link', identity: 'gone', publicKey: state.users.relay!.publicKey },
    ])
  })

  it('a grant given twice is TOPOLOGY_INVALID', () => {
    const twice = structuredClone(topology)
    const dreq = twice.buses.find((s) => s.name === 'dreq')!
    dreq.grants.push(dreq.grants[0]!)
    expect(() => planCredentials(input(emptyFolder(), { topology: twice }))).toThrow(
      expect.objectContaining({ code: 'TOPOLOGY_INVALID' }),
    )
  })
})
