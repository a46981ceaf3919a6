/**
 * One nkey per identity, kept as a seed file under `<dir>/nkeys/`. Servers only ever see the
 * public keys; the seeds stay on the host that runs the component.
 */
import { chmodSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { createUser, fromSeed } from '@nats-io/nkeys'
import { isSubjectToken } from '../core/index.js'

export interface IdentityKey {
  identity: string
  seed: Uint8Array
  publicKey: string
}

export function seedPath(dir: string, identity: string): string {
  // The identity becomes a file name: the subject-token pattern keeps it free of `/` and `..`.
  if (!isSubjectToken(identity))
    throw new Error(`invalid identity name ${JSON.stringify(identity)}`)
  return join(dir, 'nkeys', `${identity}.nk`)
}

/**
 * Creates `<dir>/nkeys/<identity>.nk` (mode 0600) for every identity that has none yet and
 * reads the ones that exist. An existing seed is never replaced: rotating a key is a
 * deliberate act (delete the file, regenerate, restart the servers).
 */
export function ensureKeys(dir: string, identities: string[]): Record<string, IdentityKey> {
  const folder = join(dir, 'nkeys')
  mkdirSync(folder, { recursive: true, mode: 0o700 })
  chmodSync(folder, 0o700)
  const out: Record<string, IdentityKey> = {}
  for (const identity of identities) {
    const path = seedPath(dir, identity)
    const seed = createUser().getSeed()
    try {
      // `wx` fails when the file exists, so two processes racing here cannot clobber a key.
      writeFileSync(path, seed, { mode: 0o600, flag: 'wx' })
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e
    } finally {
      seed.fill(0)
    }
    const stored = readSeed(dir, identity)
    out[identity] = { identity, seed: stored, publicKey: fromSeed(stored).getPublicKey() }
  }
  return out
}

/** Reads an identity's seed; refuses a file others can read or one that is not a user seed. */
export function readSeed(dir: string, identity: string): Uint8Array {
  const path = seedPath(dir, identity)
  let mode: number
  try {
    mode = statSync(path).mode
  } catch (e) {
    throw new Error(`no nkey seed for ${identity} at ${path} (run \`portcullis keys\`)`, {
      cause: e,
    })
  }
  if ((mode & 0o077) !== 0) {
    throw new Error(
      `nkey seed ${path} is readable by others (mode ${(mode & 0o777).toString(8)}); chmod 600 it`,
    )
  }
  const seed = new TextEncoder().encode(readFileSync(path, 'utf8').trim())
  try {
    if (!fromSeed(seed).getPublicKey().startsWith('U')) throw new Error('not a user key')
  } catch {
    throw new Error(`nkey seed ${path} is not a valid user seed`)
  }
  return seed
}
