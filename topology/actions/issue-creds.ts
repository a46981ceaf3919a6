import { encodeUser, fmtCreds } from '@nats-io/jwt'
import { fromSeed } from '@nats-io/nkeys'
import { SetupError, type BusName } from '../../core/index.js'
import { userClaimsOf } from '../description/credential-claims.js'
import type { Topology } from '../description/types.js'
import type { CredentialsOptions } from './ensure-credentials.js'
import { accountSeedPath } from './key-paths.js'
import { readSeed, readSeedFile } from './seeds.js'

/**
 * Issues (without storing) credentials for one identity on one bus with the keys in `dir`,
 * e.g. short-lived ones. `ensureCredentials` must have run.
 */
export async function issueCreds(
  dir: string,
  topology: Topology,
  bus: BusName,
  identity: string,
  opts: CredentialsOptions,
): Promise<Uint8Array> {
  const spec = topology.buses.find((b) => b.name === bus)
  const grant = spec?.grants.find((g) => g.identity === identity)
  if (!spec || !grant) {
    throw new SetupError('TOPOLOGY_INVALID', `identity ${identity} has no grant on the ${bus} bus`)
  }
  const account = fromSeed(readSeedFile(accountSeedPath(dir, bus), 'account', `the ${bus} account`))
  const kp = fromSeed(readSeed(dir, identity))
  const exp = Math.floor((opts.now ?? Date.now)() / 1000) + opts.ttlSeconds
  const jwt = await encodeUser(identity, kp, account, userClaimsOf(spec, grant), { exp })
  return fmtCreds(jwt, kp)
}
