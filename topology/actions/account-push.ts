/**
 * Brings running servers up to date with new account JWTs (revocations above all) without a
 * restart or a reload: each JWT is pushed over the server's own client port to
 * `$SYS.REQ.ACCOUNT.<account>.CLAIMS.UPDATE`, which nats-server accepts from the system
 * account and applies after checking the operator's signature. Connections the new JWT voids
 * (revoked keys) are cut at once; every other connection stays up. The config file is
 * rewritten too, so a later start preloads the same JWT.
 *
 * Why not a config reload (SIGHUP): on a reload, nats-server 2.9 (and later releases until
 * the fix for nats-server issue 8606) closes every connection that authenticated with an
 * nkey, that is every JWT user, not only the revoked ones.
 */
import { existsSync } from 'node:fs'
import { errors, jwtAuthenticator, type NatsConnection } from '@nats-io/nats-core'
import { connect } from '@nats-io/transport-node'
import { encodeUser } from '@nats-io/jwt'
import { createUser, fromSeed } from '@nats-io/nkeys'
import { SetupError, type BusName } from '../../core/index.js'
import type { Config } from '../../config/index.js'
import { serverUrls } from '../description/bus-urls.js'
import { natsNodesOf } from '../description/nats-servers.js'
import { SYSTEM_ACCOUNT, type AccountTrust } from '../description/trust.js'
import type { Topology } from '../description/types.js'
import type { CredentialsResult } from './ensure-credentials.js'
import { accountSeedPath } from './key-paths.js'
import { readSeedFile } from './seeds.js'
import { serverPaths, writeServerConfig } from './server-config-file.js'

/** The push user lives for this long: minted for one run, never written anywhere. */
const PUSH_USER_TTL_SECONDS = 120
const PUSH_INBOX = '_i.account-push'
const TIMEOUT_MS = 3_000

export type PushState = 'updated' | 'not running'

/**
 * A system-account user for one run: a fresh key, allowed to publish claim updates and
 * read its own replies, nothing else; signed with the system account's seed.
 */
async function pushUser(keysDir: string): Promise<{ jwt: string; seed: Uint8Array }> {
  const system = fromSeed(
    readSeedFile(accountSeedPath(keysDir, SYSTEM_ACCOUNT), 'account', 'the system account'),
  )
  const user = createUser()
  const jwt = await encodeUser(
    'account-push',
    user,
    system,
    {
      pub: { allow: ['$SYS.REQ.ACCOUNT.*.CLAIMS.UPDATE'] },
      sub: { allow: [`${PUSH_INBOX}.>`] },
      allowed_connection_types: ['STANDARD'],
    },
    { exp: Math.floor(Date.now() / 1000) + PUSH_USER_TTL_SECONDS },
  )
  return { jwt, seed: user.getSeed() }
}

async function pushOne(nc: NatsConnection, bus: BusName, account: AccountTrust): Promise<void> {
  const reply = await nc.request(
    `$SYS.REQ.ACCOUNT.${account.publicKey}.CLAIMS.UPDATE`,
    account.jwt,
    { timeout: TIMEOUT_MS },
  )
  const answer = reply.json<{ data?: { code?: number }; error?: { description?: string } }>()
  if (answer.data?.code !== 200) {
    throw new SetupError(
      'KEY_INVALID',
      `nats-${bus} refused the ${account.name} account JWT: ` +
        `${answer.error?.description ?? 'no reason given'}`,
    )
  }
}

/**
 * Pushes account JWTs to every node of the server carrying `bus` (each node's memory resolver holds its own
 * copy); 'not running' when no node listens.
 */
export async function pushAccounts(
  keysDir: string,
  topology: Topology,
  bus: BusName,
  accounts: AccountTrust[],
): Promise<PushState> {
  let state: PushState = 'not running'
  for (const url of serverUrls(topology, bus)) {
    if ((await pushToNode(keysDir, url, bus, accounts)) === 'updated') state = 'updated'
  }
  return state
}

async function pushToNode(
  keysDir: string,
  url: string,
  bus: BusName,
  accounts: AccountTrust[],
): Promise<PushState> {
  const { jwt, seed } = await pushUser(keysDir)
  let nc: NatsConnection
  try {
    nc = await connect({
      servers: url,
      name: 'account-push',
      authenticator: jwtAuthenticator(jwt, seed),
      inboxPrefix: PUSH_INBOX,
      maxReconnectAttempts: 0,
      reconnect: false,
      timeout: TIMEOUT_MS,
    })
  } catch (e) {
    if (e instanceof errors.ConnectionError) return 'not running'
    throw e
  } finally {
    seed.fill(0)
  }
  try {
    for (const account of accounts) await pushOne(nc, bus, account)
    return 'updated'
  } finally {
    await nc.close()
  }
}

/**
 * For each server carrying a bus whose account changed: rewrites its config (when it has
 * one: a server never started gets its config when it starts) and pushes the new JWTs if it
 * runs.
 */
export async function applyAccountChanges(
  config: Pick<Config, 'bus' | 'paths'>,
  topology: Topology,
  result: CredentialsResult,
): Promise<Array<{ bus: BusName; state: PushState }>> {
  const out: Array<{ bus: BusName; state: PushState }> = []
  const written = new Set<string>()
  for (const name of result.changedAccounts) {
    const account = result.trust.accounts[name]
    if (!account || !topology.buses.some((b) => b.name === name)) continue
    for (const server of natsNodesOf(topology, name)) {
      if (
        !written.has(server.name) &&
        existsSync(serverPaths(config.paths.data, server.name).confPath)
      )
        writeServerConfig(config, topology, server, result.trust)
      written.add(server.name)
    }
    const accounts = result.systemAccountChanged ? [result.trust.system, account] : [account]
    const state = await pushAccounts(config.paths.keys, topology, name, accounts)
    out.push({ bus: name, state })
  }
  return out
}
