import { chmodSync, mkdtempSync, readFileSync, renameSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { loadSigningKeys } from '../token-services/shared/index.js'
import { devVarsOf, ensureJwkKeys, readJwkKey, signingKeysSecretOf } from './jwk-keys.js'

let dir: string
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'portcullis-jwk-'))
})
afterEach(() => rmSync(dir, { recursive: true, force: true }))

describe('signing key files', () => {
  it('TOKEN-030 portcullis keys writes one Ed25519 private JWK per service, mode 0600 in a 0700 folder, and never replaces one', async () => {
    const first = await ensureJwkKeys(dir)
    expect(first.map((k) => [k.service, k.created])).toEqual([
      ['bearer', true],
      ['access', true],
    ])
    expect(statSync(join(dir, 'jwk')).mode & 0o777).toBe(0o700)
    for (const key of first) {
      expect(key.path).toBe(join(dir, 'jwk', `${key.service}.jwk`))
      expect(statSync(key.path).mode & 0o777).toBe(0o600)
      expect(JSON.parse(readFileSync(key.path, 'utf8'))).toMatchObject({
        kty: 'OKP',
        crv: 'Ed25519',
        kid: key.kid,
      })
    }
    expect(first[0]!.kid).not.toBe(first[1]!.kid)
    const bearerText = readFileSync(first[0]!.path, 'utf8')
    const again = await ensureJwkKeys(dir)
    expect(again.map((k) => [k.kid, k.created])).toEqual(first.map((k) => [k.kid, false]))
    expect(readFileSync(first[0]!.path, 'utf8')).toBe(bearerText)
  })

  it('TOKEN-031 a signing key file others can read is refused, and no error quotes a key', async () => {
    const [bearer] = await ensureJwkKeys(dir, ['bearer'])
    chmodSync(bearer!.path, 0o644)
    expect(() => readJwkKey(dir, 'bearer')).toThrow(/readable by others/)
    expect(() => readJwkKey(dir, 'bearer')).toThrow(
      expect.objectContaining({ code: 'KEY_EXPOSED', action: expect.stringMatching(/chmod 600/) }),
    )
    expect(() => readJwkKey(dir, 'access')).toThrow(/no access signing key /)
    expect(() => readJwkKey(dir, 'access')).toThrow(
      expect.objectContaining({
        code: 'KEY_MISSING',
        action: expect.stringMatching(/portcullis keys/),
      }),
    )
  })

  it('the secret holds the current key, and the previous one after a rotation', async () => {
    const [old] = await ensureJwkKeys(dir, ['bearer'])
    const before = await loadSigningKeys('test', signingKeysSecretOf(dir, 'bearer'))
    expect([before.current.kid, before.previous]).toEqual([old!.kid, undefined])
    // Rotation: the current key becomes the previous one, `keys` makes a new current.
    renameSync(old!.path, join(dir, 'jwk', 'bearer.previous.jwk'))
    const [fresh] = await ensureJwkKeys(dir, ['bearer'])
    const after = await loadSigningKeys('test', signingKeysSecretOf(dir, 'bearer'))
    expect([after.current.kid, after.previous?.kid]).toEqual([fresh!.kid, old!.kid])
  })

  it("writes a .dev.vars line per worker, holding only that worker's keys", async () => {
    const [bearer, access] = await ensureJwkKeys(dir)
    const line = devVarsOf(dir, 'access')
    const m = /^ACCESS_SIGNING_KEYS='([^'\n]+)'\n$/.exec(line)
    expect(m).not.toBeNull()
    const keys = await loadSigningKeys('test', m![1])
    expect(keys.current.kid).toBe(access!.kid)
    expect(line).not.toContain(bearer!.kid)
    expect(devVarsOf(dir, 'bearer')).toMatch(/^BEARER_SIGNING_KEYS='\{"current":/)
  })
})
