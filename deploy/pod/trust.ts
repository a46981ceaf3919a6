/**
 * Reads, never writes, the public trust material a server of the pod is configured with: the
 * operator JWT, the system account's JWT and its own bus's account JWT, as `portcullis keys`
 * left them in the (read-only) key folder. Issuing and renewing stay on the host.
 */
import { readFileSync } from 'node:fs'
import { decode, type Account } from '@nats-io/jwt'
import type { BusName } from '../../core/index.js'
import {
  SYSTEM_ACCOUNT,
  accountSeedPath,
  operatorSeedPath,
  type AccountTrust,
  type BusTrust,
} from '../../topology/index.js'

/** Each JWT is stored beside the seed that signed it, `.jwt` for `.nk`. */
const jwtBeside = (seedPath: string) => seedPath.replace(/\.nk$/, '.jwt')

function readJwt(path: string, what: string): string {
  try {
    return readFileSync(path, 'utf8').trim()
  } catch (e) {
    throw new Error(`no ${what} at ${path} (run \`portcullis keys\` on the host)`, { cause: e })
  }
}

function account(dir: string, name: string): AccountTrust {
  const path = jwtBeside(accountSeedPath(dir, name))
  const jwt = readJwt(path, `JWT of the ${name} account`)
  let claims: { sub: string; name: string }
  try {
    claims = decode<Account>(jwt)
  } catch {
    throw new Error(`${path} is not a JWT`)
  }
  return { name: claims.name, publicKey: claims.sub, jwt }
}

export function readServerTrust(dir: string, server: BusName): BusTrust {
  return {
    operatorJwt: readJwt(jwtBeside(operatorSeedPath(dir)), 'operator JWT'),
    system: account(dir, SYSTEM_ACCOUNT),
    accounts: { [server]: account(dir, server) },
  }
}
