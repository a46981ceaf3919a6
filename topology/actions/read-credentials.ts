/**
 * What `portcullis keys` left in the key folder, read without generating anything: an
 * identity's creds file, and the public trust material the servers are configured with (for
 * a host that runs servers from a key folder made elsewhere).
 */
import type { Account } from '@nats-io/jwt'
import { parseUserCreds, SetupError, type BusName } from '../../core/index.js'
import { claimsOf } from '../description/jwt-claims.js'
import { SYSTEM_ACCOUNT, type AccountTrust, type BusTrust } from '../description/trust.js'
import type { Topology } from '../description/types.js'
import { accountJwtPath, credsPath, operatorJwtPath } from './key-paths.js'
import { readPrivateFile, readTextIfPresent } from './private-files.js'

/** Reads an identity's credentials for one bus; refuses a file others can read. */
export function readCreds(dir: string, identity: string, bus: BusName): Uint8Array {
  const path = credsPath(dir, bus, identity)
  const bytes = readPrivateFile(path, 'credentials', `${identity} on ${bus}`)
  if (!parseUserCreds(bytes.toString('utf8'))) {
    throw new SetupError(
      'KEY_INVALID',
      `credentials ${path} are not a NATS creds file (run \`portcullis keys\`)`,
      { file: path },
    )
  }
  return new Uint8Array(bytes)
}

function readJwt(path: string, what: string): string {
  const text = readTextIfPresent(path)
  if (!text) {
    throw new SetupError('KEY_MISSING', `no ${what} at ${path} (run \`portcullis keys\`)`, {
      file: path,
    })
  }
  return text
}

/** Reads the public trust material of the given buses, as `portcullis keys` left it. */
export function readTrust(dir: string, topology: Pick<Topology, 'buses'>): BusTrust {
  const account = (name: string): AccountTrust => {
    const path = accountJwtPath(dir, name)
    const jwt = readJwt(path, `${name} account JWT`)
    const claims = claimsOf<Account>(jwt)
    if (!claims) {
      throw new SetupError('KEY_INVALID', `${path} is not a valid signed JWT`, { file: path })
    }
    return { name, publicKey: claims.sub, jwt }
  }
  return {
    operatorJwt: readJwt(operatorJwtPath(dir), 'operator JWT'),
    system: account(SYSTEM_ACCOUNT),
    accounts: Object.fromEntries(topology.buses.map((b) => [b.name, account(b.name)])),
  }
}
