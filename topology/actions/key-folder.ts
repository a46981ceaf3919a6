/**
 * Reads the key folder into what the credential plan needs, creating the keys that are
 * missing first (never replacing one): every identity's user seed, the operator's and each
 * account's seed, the route secrets; then the JWTs and creds files as they are.
 */
import { readdirSync } from 'node:fs'
import { join } from 'node:path'
import type { Account, Operator, User } from '@nats-io/jwt'
import type { KeyPair } from '@nats-io/nkeys'
import { parseUserCreds, type BusName } from '../../core/index.js'
import type {
  BusCredentialState,
  CredentialState,
  StoredJwt,
} from '../description/credential-plan-types.js'
import type { StoredCredsState } from '../description/credential-reissue.js'
import { claimsOf } from '../description/jwt-claims.js'
import { SYSTEM_ACCOUNT } from '../description/trust.js'
import type { Topology } from '../description/types.js'
import {
  accountJwtPath,
  accountSeedPath,
  credsFolderOf,
  operatorJwtPath,
  operatorSeedPath,
} from './key-paths.js'
import { readTextIfPresent } from './private-files.js'
import { ensureRouteSecrets } from './route-secrets.js'
import { ensureKeys, ensureSeedFile, type IdentityKey } from './seeds.js'

/** The key pairs that sign: the operator, the system account, each bus's account. */
export interface Signers {
  operator: KeyPair
  system: KeyPair
  accounts: Partial<Record<BusName, KeyPair>>
  users: Record<string, IdentityKey>
}

export interface KeyFolder {
  state: CredentialState
  signers: Signers
}

function storedJwt<T>(path: string): StoredJwt<T> {
  const jwt = readTextIfPresent(path)
  const claims = claimsOf<T>(jwt)
  return { ...(jwt ? { jwt } : {}), ...(claims ? { claims } : {}) }
}

function storedCreds(path: string): StoredCredsState {
  const text = readTextIfPresent(path)
  if (text === undefined) return undefined
  const parsed = parseUserCreds(text)
  const claims = claimsOf<User>(parsed?.jwt)
  return parsed && claims?.nats.type === 'user' ? { ...parsed, claims } : 'unreadable'
}

/** Every creds file of a bus, by identity, in the folder's order. */
function storedCredsOf(dir: string, bus: BusName): BusCredentialState['creds'] {
  const folder = credsFolderOf(dir, bus)
  let files: string[] = []
  try {
    files = readdirSync(folder).filter((f) => f.endsWith('.creds'))
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e
  }
  return files.map((f) => [f.slice(0, -'.creds'.length), storedCreds(join(folder, f))])
}

export function readKeyFolder(dir: string, topology: Topology): KeyFolder {
  const users = ensureKeys(
    dir,
    topology.identities.map((i) => i.id),
  )
  // A three-node bus's routes authenticate with a secret of their own (route-secrets.ts).
  ensureRouteSecrets(dir, topology)
  const operator = ensureSeedFile(operatorSeedPath(dir), 'operator', 'the operator')
  const system = ensureSeedFile(
    accountSeedPath(dir, SYSTEM_ACCOUNT),
    'account',
    'the system account',
  )
  const signers: Signers = { operator, system, accounts: {}, users }
  const buses: CredentialState['buses'] = {}
  for (const { name } of topology.buses) {
    const account = ensureSeedFile(accountSeedPath(dir, name), 'account', `the ${name} account`)
    signers.accounts[name] = account
    buses[name] = {
      accountKey: account.getPublicKey(),
      account: storedJwt<Account>(accountJwtPath(dir, name)),
      creds: storedCredsOf(dir, name),
    }
  }
  const state: CredentialState = {
    operatorKey: operator.getPublicKey(),
    operator: storedJwt<Operator>(operatorJwtPath(dir)),
    systemKey: system.getPublicKey(),
    system: storedJwt<Account>(accountJwtPath(dir, SYSTEM_ACCOUNT)),
    buses,
    users: Object.fromEntries(
      Object.values(users).map((u) => [
        u.identity,
        { publicKey: u.publicKey, seed: new TextDecoder().decode(u.seed) },
      ]),
    ),
  }
  return { state, signers }
}
