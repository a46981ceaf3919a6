import { generateKeyPairSync } from 'node:crypto'
import { chmodSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { AuditStoreError } from './errors.js'
import {
  auditKeyPaths,
  ensureAuditSigningKey,
  readAuditPublicKey,
  readAuditSigningKey,
} from './keys.js'

const temps: string[] = []
const tempKeys = () => {
  temps.push(mkdtempSync(join(tmpdir(), 'portcullis-audit-keys-')))
  return temps.at(-1)!
}
afterAll(() => temps.forEach((t) => rmSync(t, { recursive: true, force: true })))

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn()
  } catch (e) {
    if (e instanceof AuditStoreError) return e.code
    throw e
  }
  return undefined
}

describe('audit signing key', () => {
  it('is created once, 0600 in a 0700 folder, with its public half beside it', () => {
    const keys = tempKeys()
    const first = ensureAuditSigningKey(keys)
    const paths = auditKeyPaths(keys)
    expect(first.created).toBe(true)
    expect(first.privateKey.asymmetricKeyType).toBe('ed25519')
    expect(first.keyId).toMatch(/^[0-9a-f]{16}$/)
    expect(statSync(paths.privateKey).mode & 0o777).toBe(0o600)
    expect(statSync(join(keys, 'audit')).mode & 0o777).toBe(0o700)
    expect(readFileSync(paths.privateKey, 'utf8')).toMatch(/^-----BEGIN PRIVATE KEY-----/)
    expect(readFileSync(paths.publicKey, 'utf8')).toMatch(/^-----BEGIN PUBLIC KEY-----/)
    const again = ensureAuditSigningKey(keys)
    expect(again.created).toBe(false)
    expect(again.keyId).toBe(first.keyId)
    expect(readAuditPublicKey(paths.publicKey).equals(first.publicKey)).toBe(true)
  })

  it('ends with one key when several callers race for it', async () => {
    const keys = tempKeys()
    const ids = await Promise.all(
      Array.from({ length: 8 }, async () => ensureAuditSigningKey(keys).keyId),
    )
    expect(new Set(ids).size).toBe(1)
  })

  it('AUD-017 a checkpoint key file that others can read is refused', () => {
    const keys = tempKeys()
    ensureAuditSigningKey(keys)
    chmodSync(auditKeyPaths(keys).privateKey, 0o640)
    expect(codeOf(() => readAuditSigningKey(keys))).toBe('AUDIT_SIGNING_KEY_EXPOSED')
    expect(codeOf(() => ensureAuditSigningKey(keys))).toBe('AUDIT_SIGNING_KEY_EXPOSED')
  })

  it('refuses a missing key, a key that is not PEM, and one that is not Ed25519', () => {
    expect(codeOf(() => readAuditSigningKey(tempKeys()))).toBe('AUDIT_SIGNING_KEY_MISSING')
    const keys = tempKeys()
    ensureAuditSigningKey(keys)
    const { privateKey, publicKey } = auditKeyPaths(keys)
    writeFileSync(privateKey, 'secret material, not a key')
    let message = ''
    try {
      readAuditSigningKey(keys)
    } catch (e) {
      message = (e as Error).message
    }
    expect(message).toContain('is not a PEM private key')
    expect(message).not.toContain('secret material')
    const rsa = generateKeyPairSync('rsa', { modulusLength: 1024 })
    writeFileSync(privateKey, rsa.privateKey.export({ type: 'pkcs8', format: 'pem' }))
    expect(codeOf(() => readAuditSigningKey(keys))).toBe('AUDIT_SIGNING_KEY_INVALID')
    writeFileSync(publicKey, 'nope')
    expect(codeOf(() => readAuditPublicKey(publicKey))).toBe('AUDIT_SIGNING_KEY_INVALID')
  })

  it('refuses a public key file that is not the private key’s half', () => {
    const keys = tempKeys()
    ensureAuditSigningKey(keys)
    const other = generateKeyPairSync('ed25519').publicKey
    writeFileSync(auditKeyPaths(keys).publicKey, other.export({ type: 'spki', format: 'pem' }))
    expect(codeOf(() => ensureAuditSigningKey(keys))).toBe('AUDIT_SIGNING_KEY_INVALID')
  })
})
