import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { createLocalJWKSet, decodeProtectedHeader, jwtVerify } from 'jose'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { bearerClaims } from '../../token-services/shared/index.js'
import { ensureJwkKeys, readJwkKey } from '../jwk-keys.js'
import { REPO_ROOT } from '../root.js'
import { parseTtl, token } from './token.js'

let dir: string
let configPath: string

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'portcullis-token-'))
  configPath = join(dir, 'portcullis.config.json')
  writeFileSync(
    configPath,
    JSON.stringify({
      upstreams: {
        demo: {
          baseUrl: 'http://127.0.0.1:8790',
          openapi: resolve(REPO_ROOT, 'demo/openapi.json'),
        },
      },
      paths: { keys: join(dir, 'keys'), data: join(dir, 'data') },
    }),
  )
})
afterAll(() => rmSync(dir, { recursive: true, force: true }))

async function run(...args: string[]) {
  let out = ''
  let err = ''
  const code = await token([...args, '--config', configPath], {
    out: { write: (t: string) => (out += t) },
    err: { write: (t: string) => (err += t) },
  })
  return { code, out, err }
}

async function verifyWithBearerKey(jwt: string) {
  const { d: _private, ...publicJwk } = readJwkKey(join(dir, 'keys'), 'bearer')
  const { payload } = await jwtVerify(jwt, createLocalJWKSet({ keys: [publicJwk] }), {
    algorithms: ['EdDSA'],
    issuer: 'bearer.token.core',
    audience: 'portcullis',
    requiredClaims: ['sub', 'iat', 'exp', 'jti'],
  })
  return payload
}

describe('portcullis token', () => {
  it('without a bearer key it fails, naming `portcullis keys`, and prints no token', async () => {
    const { code, out, err } = await run('--sub', 'alice')
    expect(code).toBe(1)
    expect(out).toBe('')
    expect(err).toMatch(
      /KEY_MISSING: no bearer signing key at .*bearer\.jwk \(run `portcullis keys`/,
    )
  })

  it('TOKEN-032 prints a bearer token signed with the bearer dev key, shaped as the bearer service mints it', async () => {
    await ensureJwkKeys(join(dir, 'keys'))
    const { code, out, err } = await run(
      '--sub',
      'alice',
      '--roles',
      'orders, admin',
      '--ttl',
      '1h',
    )
    expect(code).toBe(0)
    const jwt = out.trim()
    expect(out).toBe(`${jwt}\n`)
    const kid = readJwkKey(join(dir, 'keys'), 'bearer').kid
    expect(decodeProtectedHeader(jwt)).toEqual({ alg: 'EdDSA', kid, typ: 'JWT' })
    const payload = await verifyWithBearerKey(jwt)
    expect(payload).toMatchObject({ sub: 'alice', roles: ['orders', 'admin'] })
    expect(payload.exp! - payload.iat!).toBe(3600)
    expect(Object.keys(payload).sort()).toEqual(
      Object.keys(bearerClaims({ sub: 'x', roles: [] }, 0)).sort(),
    )
    expect(err).toContain(`kid ${kid}`)
    expect(err).not.toContain(jwt)
    // The access key cannot stand in for the bearer key.
    const { d: _d, ...accessPublic } = readJwkKey(join(dir, 'keys'), 'access')
    await expect(
      jwtVerify(jwt, createLocalJWKSet({ keys: [accessPublic] }), { algorithms: ['EdDSA'] }),
    ).rejects.toMatchObject({ code: 'ERR_JWKS_NO_MATCHING_KEY' })
  })

  it('defaults to 30 days and clamps a longer --ttl to 90 days', async () => {
    const plain = await verifyWithBearerKey((await run('--sub', 'bob')).out.trim())
    expect(plain.exp! - plain.iat!).toBe(30 * 86_400)
    expect(plain.roles).toEqual([])
    const long = await run('--sub', 'bob', '--ttl', '400d')
    expect(long.err).toContain('capped at 90 days')
    const payload = await verifyWithBearerKey(long.out.trim())
    expect(payload.exp! - payload.iat!).toBe(90 * 86_400)
  })

  it('refuses a missing --sub, a bad --ttl and a bad role with exit code 2', async () => {
    for (const args of [
      [],
      ['--sub'],
      ['--sub', '--roles', 'x'],
      ['--sub', 'a', '--roles'],
      ['--sub', 'a', '--ttl', '1w'],
      ['--sub', 'a', '--ttl', '0'],
      ['--sub', 'a', '--roles', 'roles.admin'],
    ]) {
      const { code, out } = await run(...args)
      expect(code, args.join(' ')).toBe(2)
      expect(out).toBe('')
    }
  })

  it('reads --ttl as seconds, minutes, hours or days', () => {
    expect([
      parseTtl('90'),
      parseTtl('90s'),
      parseTtl('15m'),
      parseTtl('1h'),
      parseTtl('30d'),
    ]).toEqual([90, 90, 900, 3600, 2_592_000])
    expect([parseTtl('1.5h'), parseTtl('-1'), parseTtl('h'), parseTtl('1 h')]).toEqual([
      undefined,
      undefined,
      undefined,
      undefined,
    ])
  })
})
