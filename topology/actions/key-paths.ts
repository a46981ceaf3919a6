/**
 * Where each key, JWT, creds file and route secret lives in the key folder: `nkeys/`,
 * `operator/`, `accounts/`, `creds/<bus>/`, `routes/` (topology/README.md, "Credentials").
 */
import { join } from 'node:path'
import { isSubjectToken, SetupError, type BusName } from '../../core/index.js'

/** A name that becomes a file name: the subject-token pattern keeps it free of `/` and `..`. */
export function fileName(kind: string, name: string): string {
  if (!isSubjectToken(name)) {
    throw new SetupError('TOPOLOGY_INVALID', `invalid ${kind} name ${JSON.stringify(name)}`)
  }
  return name
}

export function seedPath(dir: string, identity: string): string {
  return join(dir, 'nkeys', `${fileName('identity', identity)}.nk`)
}

export function operatorSeedPath(dir: string): string {
  return join(dir, 'operator', 'operator.nk')
}

export function operatorJwtPath(dir: string): string {
  return join(dir, 'operator', 'operator.jwt')
}

/** `account` is a bus name or the system account's name (`SYS`). */
export function accountSeedPath(dir: string, account: string): string {
  return join(dir, 'accounts', `${fileName('account', account.toLowerCase())}.nk`)
}

export function accountJwtPath(dir: string, account: string): string {
  return accountSeedPath(dir, account).replace(/\.nk$/, '.jwt')
}

/** The folder of a bus's creds files, one per identity with a grant on it. */
export function credsFolderOf(dir: string, bus: BusName): string {
  return join(dir, 'creds', fileName('bus', bus))
}

export function credsPath(dir: string, bus: BusName, identity: string): string {
  return join(credsFolderOf(dir, bus), `${fileName('identity', identity)}.creds`)
}

export function routeSecretPath(dir: string, server: string): string {
  return join(dir, 'routes', `${server}.secret`)
}
