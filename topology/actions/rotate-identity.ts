/** One identity re-keyed: a new seed, new credentials on every bus it uses, its old key revoked. */
import { fromSeed } from '@nats-io/nkeys'
import { SetupError, type BusName } from '../../core/index.js'
import type { Topology } from '../description/types.js'
import {
  ensureCredentials,
  type CredentialsOptions,
  type CredentialsResult,
} from './ensure-credentials.js'
import { readSeed, replaceSeed } from './seeds.js'

export interface Rotation {
  identity: string
  previousKey?: string
  publicKey: string
  /** The buses the identity has grants on: their servers need the new account JWTs. */
  buses: BusName[]
  result: CredentialsResult
}

/**
 * Gives one identity a new user key and new credentials on every bus it uses, and revokes
 * its old key in those buses' accounts. The servers enforce the revocation once they have
 * the new account JWTs (`applyAccountChanges`); other identities are untouched.
 */
export async function rotateIdentity(
  dir: string,
  topology: Topology,
  identity: string,
  opts: CredentialsOptions,
): Promise<Rotation> {
  if (!topology.identities.some((i) => i.id === identity)) {
    throw new SetupError(
      'ARGUMENT_INVALID',
      `no identity ${JSON.stringify(identity)} in the ${topology.mode} topology`,
      { action: 'name one of the identities `portcullis topology` lists' },
    )
  }
  let previousKey: string | undefined
  try {
    previousKey = fromSeed(readSeed(dir, identity)).getPublicKey()
  } catch {
    // No readable key yet: the stored credentials, if any, still name the old one.
  }
  const publicKey = replaceSeed(dir, identity)
  const result = await ensureCredentials(
    dir,
    topology,
    opts,
    previousKey ? [{ identity, publicKey: previousKey }] : [],
  )
  const buses = topology.buses
    .filter((b) => b.grants.some((g) => g.identity === identity))
    .map((b) => b.name)
  return { identity, ...(previousKey ? { previousKey } : {}), publicKey, buses, result }
}
