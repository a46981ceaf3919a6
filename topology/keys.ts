/**
 * The nkeys behind the buses' credentials, each kept as a seed file: one user key per
 * identity under `<dir>/nkeys/`, the operator's under `<dir>/operator/`, one account key per
 * bus (and the system account) under `<dir>/accounts/`. Servers only ever see public keys
 * and JWTs; the seeds stay on the host that issues credentials or runs the component.
 */
import {
  chmodSync,
  existsSync,
  mkdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs'
import { randomBytes } from 'node:crypto'
import { dirname, join } from 'node:path'
import { createAccount, createOperator, createUser, fromSeed, type KeyPair } from '@nats-io/nkeys'
import { isSubjectToken } from '../core/index.js'

export interface IdentityKey {
  identity: string
  seed: Uint8Array
  publicKey: string
}

export type KeyKind = 'user' | 'account' | 'operator'

const PREFIX: Record<KeyKind, string> = { user: 'U', account: 'A', operator: 'O' }
const CREATE: Record<KeyKind, () => KeyPair> = {
  user: createUser,
  account: createAccount,
  operator: createOperator,
}

/** A name that becomes a file name: the subject-token pattern keeps it free of `/` and `..`. */
export function fileName(kind: string, name: string): string {
  if (!isSubjectToken(name)) throw new Error(`invalid ${kind} name ${JSON.stringify(name)}`)
  return name
}

export function seedPath(dir: string, identity: string): string {
  return join(dir, 'nkeys', `${fileName('identity', identity)}.nk`)
}

export function operatorSeedPath(dir: string): string {
  return join(dir, 'operator', 'operator.nk')
}

/** `account` is a bus name or the system account's name (`SYS`). */
export function accountSeedPath(dir: string, account: string): string {
  return join(dir, 'accounts', `${fileName('account', account.toLowerCase())}.nk`)
}

/** Makes `path`'s folder, private to the owner. */
export function privateFolderOf(path: string): void {
  const folder = dirname(path)
  mkdirSync(folder, { recursive: true, mode: 0o700 })
  chmodSync(folder, 0o700)
}

/**
 * Replaces `path` in one step (a temporary file renamed over it), mode 0600: a reader sees
 * the old content or the new, never half of it.
 */
export function writePrivateFile(path: string, data: string | Uint8Array): void {
  privateFolderOf(path)
  const tmp = `${path}.${randomBytes(6).toString('hex')}.tmp`
  try {
    writeFileSync(tmp, data, { mode: 0o600, flag: 'wx' })
    renameSync(tmp, path)
  } catch (e) {
    rmSync(tmp, { force: true })
    throw e
  }
}

/**
 * Reads a secret file (`what`: "nkey seed", "credentials"); refuses one others can read,
 * like ssh does.
 */
export function readPrivateFile(path: string, what: string, label: string): Buffer {
  let mode: number
  try {
    mode = statSync(path).mode
  } catch (e) {
    throw new Error(`no ${what} for ${label} at ${path} (run \`portcullis keys\`)`, { cause: e })
  }
  if ((mode & 0o077) !== 0) {
    throw new Error(
      `${what} ${path} is readable by others (mode ${(mode & 0o777).toString(8)}); chmod 600 it`,
    )
  }
  return readFileSync(path)
}

/** Creates the seed file if there is none (never replacing one) and returns its key pair. */
export function ensureSeedFile(path: string, kind: KeyKind, label: string): KeyPair {
  if (!existsSync(path)) {
    privateFolderOf(path)
    const seed = CREATE[kind]().getSeed()
    try {
      // `wx` fails when the file exists, so two processes racing here cannot clobber a key.
      writeFileSync(path, seed, { mode: 0o600, flag: 'wx' })
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e
    } finally {
      seed.fill(0)
    }
  }
  return fromSeed(readSeedFile(path, kind, label))
}

/** Reads a seed; refuses a file others can read or one that holds another kind of key. */
export function readSeedFile(path: string, kind: KeyKind, label: string): Uint8Array {
  const text = readPrivateFile(path, 'nkey seed', label).toString('utf8')
  const seed = new TextEncoder().encode(text.trim())
  try {
    if (!fromSeed(seed).getPublicKey().startsWith(PREFIX[kind])) throw new Error('wrong kind')
  } catch {
    throw new Error(`nkey seed ${path} is not a valid ${kind} seed`)
  }
  return seed
}

/**
 * Creates `<dir>/nkeys/<identity>.nk` (mode 0600) for every identity that has none yet and
 * reads the ones that exist. An existing seed is never replaced here: rotating a key is a
 * deliberate act (`rotateIdentity`, `portcullis keys rotate`).
 */
export function ensureKeys(dir: string, identities: string[]): Record<string, IdentityKey> {
  const folder = join(dir, 'nkeys')
  mkdirSync(folder, { recursive: true, mode: 0o700 })
  chmodSync(folder, 0o700)
  const out: Record<string, IdentityKey> = {}
  for (const identity of identities) {
    const kp = ensureSeedFile(seedPath(dir, identity), 'user', identity)
    out[identity] = { identity, seed: kp.getSeed(), publicKey: kp.getPublicKey() }
  }
  return out
}

/** Reads an identity's seed; refuses a file others can read or one that is not a user seed. */
export function readSeed(dir: string, identity: string): Uint8Array {
  return readSeedFile(seedPath(dir, identity), 'user', identity)
}

/** Gives an identity a new user key in place of its old one; returns the new public key. */
export function replaceSeed(dir: string, identity: string): string {
  const kp = createUser()
  const publicKey = kp.getPublicKey()
  const seed = kp.getSeed()
  try {
    writePrivateFile(seedPath(dir, identity), seed)
  } finally {
    // The key pair's own copy: wiping it ends the pair, which is not used again.
    seed.fill(0)
  }
  return publicKey
}
