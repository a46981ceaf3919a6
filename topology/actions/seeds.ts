/**
 * The nkeys behind the buses' credentials, each kept as a seed file: one user key per
 * identity under `<dir>/nkeys/`, the operator's under `<dir>/operator/`, one account key per
 * bus (and the system account) under `<dir>/accounts/`. Servers only ever see public keys
 * and JWTs; the seeds stay on the host that issues credentials or runs the component.
 */
import { chmodSync, existsSync, mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { createAccount, createOperator, createUser, fromSeed, type KeyPair } from '@nats-io/nkeys'
import { SetupError } from '../../core/index.js'
import { seedPath } from './key-paths.js'
import { createPrivateFileOnce, readPrivateFile, writePrivateFile } from './private-files.js'

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

/** Creates the seed file if there is none (never replacing one) and returns its key pair. */
export function ensureSeedFile(path: string, kind: KeyKind, label: string): KeyPair {
  if (!existsSync(path)) {
    const seed = CREATE[kind]().getSeed()
    try {
      createPrivateFileOnce(path, seed)
    } finally {
      seed.fill(0)
    }
  }
  return fromSeed(readSeedFile(path, kind, label))
}

function isSeedOf(seed: Uint8Array, kind: KeyKind): boolean {
  try {
    return fromSeed(seed).getPublicKey().startsWith(PREFIX[kind])
  } catch {
    return false
  }
}

/** Reads a seed; refuses a file others can read or one that holds another kind of key. */
export function readSeedFile(path: string, kind: KeyKind, label: string): Uint8Array {
  const text = readPrivateFile(path, 'nkey seed', label).toString('utf8')
  const seed = new TextEncoder().encode(text.trim())
  if (!isSeedOf(seed, kind)) {
    throw new SetupError('KEY_INVALID', `nkey seed ${path} is not a valid ${kind} seed`, {
      file: path,
    })
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
