import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { chmodSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createAccount, fromSeed } from '@nats-io/nkeys'
import { seedPath } from './key-paths.js'
import { ensureKeys, readSeed } from './seeds.js'

let dir: string

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'portcullis-keys-'))
})

afterEach(() => {
  rmSync(dir, { recursive: true, force: true })
})

describe('ensureKeys', () => {
  it('creates one user seed per identity, 0600 files in a 0700 folder', () => {
    const keys = ensureKeys(dir, ['relay', 'edge-local'])
    expect(statSync(join(dir, 'nkeys')).mode & 0o777).toBe(0o700)
    for (const id of ['relay', 'edge-local']) {
      const path = seedPath(dir, id)
      expect(statSync(path).mode & 0o777).toBe(0o600)
      expect(readFileSync(path, 'utf8')).toMatch(/^SU[A-Z2-7]+$/)
      expect(keys[id]!.publicKey).toMatch(/^U[A-Z2-7]{55}$/)
      expect(fromSeed(keys[id]!.seed).getPublicKey()).toBe(keys[id]!.publicKey)
    }
    expect(keys.relay!.publicKey).not.toBe(keys['edge-local']!.publicKey)
  })

  it('never overwrites an existing seed', () => {
    const first = ensureKeys(dir, ['relay'])
    const again = ensureKeys(dir, ['relay', 'admin'])
    expect(again.relay!.publicKey).toBe(first.relay!.publicKey)
    expect(Object.keys(again).sort()).toEqual(['admin', 'relay'])
  })

  it('refuses identity names that could leave the folder', () => {
    expect(() => ensureKeys(dir, ['../evil'])).toThrow(/invalid identity/)
    expect(() => readSeed(dir, 'a/b')).toThrow(/invalid identity/)
  })
})

describe('readSeed', () => {
  it('names the missing file', () => {
    expect(() => readSeed(dir, 'relay')).toThrow(/no nkey seed for relay/)
  })

  it('refuses a seed others can read', () => {
    ensureKeys(dir, ['relay'])
    chmodSync(seedPath(dir, 'relay'), 0o644)
    expect(() => readSeed(dir, 'relay')).toThrow(/readable by others/)
  })

  it('refuses what is not a user seed', () => {
    ensureKeys(dir, ['relay', 'admin'])
    writeFileSync(seedPath(dir, 'relay'), 'not a seed')
    expect(() => readSeed(dir, 'relay')).toThrow(/not a valid user seed/)
    writeFileSync(seedPath(dir, 'admin'), createAccount().getSeed())
    expect(() => readSeed(dir, 'admin')).toThrow(/not a valid user seed/)
  })
})

describe('seed failures, coded', () => {
  const coded = (fields: Record<string, string>) =>
    expect.objectContaining({ name: 'SetupError', ...fields })

  it('a missing seed file is KEY_MISSING and names the file', () => {
    expect(() => readSeed(dir, 'relay')).toThrow(
      coded({ code: 'KEY_MISSING', file: seedPath(dir, 'relay') }),
    )
  })

  it('a seed others can read is KEY_EXPOSED; a corrupt one KEY_INVALID', () => {
    ensureKeys(dir, ['relay'])
    chmodSync(seedPath(dir, 'relay'), 0o644)
    expect(() => readSeed(dir, 'relay')).toThrow(coded({ code: 'KEY_EXPOSED' }))
    chmodSync(seedPath(dir, 'relay'), 0o600)
    writeFileSync(seedPath(dir, 'relay'), 'SUNOTASEED')
    expect(() => readSeed(dir, 'relay')).toThrow(
      coded({ code: 'KEY_INVALID', file: seedPath(dir, 'relay') }),
    )
  })
})
