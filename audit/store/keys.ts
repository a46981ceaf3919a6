/**
 * The checkpoint signing key: Ed25519, generated once into `<keys>/audit/checkpoint.key`
 * (PKCS#8 PEM, 0600, folder 0700) with its public half beside it in `checkpoint.pub` (SPKI
 * PEM). Never replaced here: a new key is a deliberate act (README). Reading refuses a
 * private key file that others can read.
 */
import {
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  randomBytes,
  type KeyObject,
} from 'node:crypto'
import {
  chmodSync,
  linkSync,
  mkdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs'
import { join } from 'node:path'
import { sha256HexSync } from '../../runtime/index.js'
import { KEY_DIR, PRIVATE_KEY_FILE, PUBLIC_KEY_FILE } from './constants.js'
import { AuditStoreError } from './errors.js'

export interface AuditSigningKey {
  privateKey: KeyObject
  publicKey: KeyObject
  /** `auditKeyIdOf(publicKey)`: stored with each checkpoint. */
  keyId: string
  /** The private key's file. */
  path: string
  /** True when this call generated it. */
  created: boolean
}

export function auditKeyPaths(keysDir: string): { privateKey: string; publicKey: string } {
  const dir = join(keysDir, KEY_DIR)
  return { privateKey: join(dir, PRIVATE_KEY_FILE), publicKey: join(dir, PUBLIC_KEY_FILE) }
}

/** The first 16 hex digits of SHA-256 over the public key's SPKI DER. */
export function auditKeyIdOf(publicKey: KeyObject): string {
  const der = publicKey.export({ type: 'spki', format: 'der' })
  return sha256HexSync(der).slice(0, 16)
}

/**
 * Writes `text` to `path` only if nothing is there, atomically: a reader never sees a half
 * written key. The content goes to a private temp file first (O_EXCL), then a hard link
 * claims the name, which fails if another process claimed it first. False when it existed.
 */
function writeOnce(path: string, text: string, mode: number): boolean {
  const temp = `${path}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`
  writeFileSync(temp, text, { mode, flag: 'wx' })
  try {
    linkSync(temp, path)
    return true
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e
    return false
  } finally {
    rmSync(temp, { force: true })
  }
}

/** Creates the key pair when there is none, then reads it back. */
export function ensureAuditSigningKey(keysDir: string): AuditSigningKey {
  const paths = auditKeyPaths(keysDir)
  const dir = join(keysDir, KEY_DIR)
  mkdirSync(dir, { recursive: true, mode: 0o700 })
  chmodSync(dir, 0o700)
  const pair = generateKeyPairSync('ed25519')
  const created = writeOnce(
    paths.privateKey,
    pair.privateKey.export({ type: 'pkcs8', format: 'pem' }) as string,
    0o600,
  )
  const key = readAuditSigningKey(keysDir)
  writeOnce(paths.publicKey, key.publicKey.export({ type: 'spki', format: 'pem' }) as string, 0o644)
  const published = readAuditPublicKey(paths.publicKey)
  if (auditKeyIdOf(published) !== key.keyId) {
    throw new AuditStoreError(
      'AUDIT_SIGNING_KEY_INVALID',
      `${paths.publicKey} is not the public half of ${paths.privateKey}`,
    )
  }
  return { ...key, created }
}

/** Reads the private key; refuses a missing file, one others can read, or not Ed25519. */
export function readAuditSigningKey(keysDir: string): AuditSigningKey {
  const path = auditKeyPaths(keysDir).privateKey
  let mode: number
  try {
    mode = statSync(path).mode
  } catch (e) {
    throw new AuditStoreError(
      'AUDIT_SIGNING_KEY_MISSING',
      `no audit signing key at ${path} (the audit sink creates it when it first runs)`,
      { cause: e },
    )
  }
  if ((mode & 0o077) !== 0) {
    throw new AuditStoreError(
      'AUDIT_SIGNING_KEY_EXPOSED',
      `audit signing key ${path} is readable by others (mode ${(mode & 0o777).toString(8)}); chmod 600 it`,
    )
  }
  let privateKey: KeyObject
  try {
    privateKey = createPrivateKey(readFileSync(path))
  } catch {
    // The parser's own message could quote the file.
    throw new AuditStoreError('AUDIT_SIGNING_KEY_INVALID', `${path} is not a PEM private key`)
  }
  if (privateKey.asymmetricKeyType !== 'ed25519')
    throw new AuditStoreError('AUDIT_SIGNING_KEY_INVALID', `${path} is not an Ed25519 key`)
  const publicKey = createPublicKey(privateKey)
  return { privateKey, publicKey, keyId: auditKeyIdOf(publicKey), path, created: false }
}

/** A public key file (SPKI PEM) that verify checks checkpoints against. */
export function readAuditPublicKey(path: string): KeyObject {
  let text: Buffer
  try {
    text = readFileSync(path)
  } catch (e) {
    throw new AuditStoreError('AUDIT_SIGNING_KEY_MISSING', `cannot read public key ${path}`, {
      cause: e,
    })
  }
  let key: KeyObject
  try {
    key = createPublicKey(text)
  } catch {
    throw new AuditStoreError('AUDIT_SIGNING_KEY_INVALID', `${path} is not a PEM public key`)
  }
  if (key.type !== 'public' || key.asymmetricKeyType !== 'ed25519')
    throw new AuditStoreError('AUDIT_SIGNING_KEY_INVALID', `${path} is not an Ed25519 public key`)
  return key
}
