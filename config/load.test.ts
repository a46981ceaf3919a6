import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { ConfigError, edgePolicyOf, loadConfig } from './index.js'
import { DEFAULT_REQUEST_VALIDATION, readEdgePolicy } from '../core/index.js'

const repoConfig = new URL('../portcullis.config.json', import.meta.url).pathname

function keyOf(fn: () => unknown): string | undefined {
  try {
    fn()
  } catch (e) {
    if (e instanceof ConfigError) return e.key
    throw e
  }
  return undefined
}

describe('config', () => {
  it('loads the shipped config with defaults filled in', () => {
    const c = loadConfig(repoConfig)
    expect(c.deployment).toBe('LAB')
    expect(c.topology).toBe('isolated')
    expect(c.bus.maxDeliver).toBe(5)
    expect(c.upstreams.demo!.maxResponseBytes).toBe(900_000)
    expect(c.routes.demo!.routes.length).toBe(9)
    expect(c.validation).toMatchObject(DEFAULT_REQUEST_VALIDATION)
  })

  it('merges overrides', () => {
    const c = loadConfig(repoConfig, { deployment: 'PROD', bus: { ports: { dreq: 9999 } } })
    expect(c.deployment).toBe('PROD')
    expect(c.bus.ports.dreq).toBe(9999)
    expect(c.bus.ports.creq).toBe(7423)
  })

  it.each([
    [{ deployment: 'DEV' }, 'deployment'],
    [{ edge: { deadlineMs: 5 } }, 'edge.deadlineMs'],
    [{ edge: { colour: 'red' } }, 'edge'],
    [{ upstreams: { 'Bad Name': { baseUrl: 'http://x', openapi: 'a' } } }, 'upstreams'],
    [{ upstreams: { demo: { baseUrl: 'ftp://x' } } }, 'upstreams.demo.baseUrl'],
    [{ upstreams: { demo: { openapi: 'missing.json' } } }, 'upstreams.demo.openapi'],
    [{ bus: { ports: { dreq: 7422, creq: 7422 } } }, 'bus.ports.creq'],
    [{ topology: 'mesh' }, 'topology'],
    [{ validation: { headers: { unknown: 'ignore' } } }, 'validation.headers.unknown'],
    [{ validation: { json: { maxDepth: 0 } } }, 'validation.json.maxDepth'],
    [{ validation: { headers: { allow: ['X-Upper'] } } }, 'validation.headers.allow.0'],
  ])('CONF-001 refuses %j, naming %s', (overrides, key) => {
    expect(keyOf(() => loadConfig(repoConfig, overrides))).toBe(key)
  })

  it('CONF-002 refuses an unreadable or non-JSON file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'portcullis-config-'))
    const file = join(dir, 'bad.json')
    writeFileSync(file, '{ nope')
    expect(() => loadConfig(file)).toThrow(ConfigError)
    expect(() => loadConfig(join(dir, 'absent.json'))).toThrow(ConfigError)
  })

  it('hands the edge a policy it accepts', () => {
    const policy = edgePolicyOf(loadConfig(repoConfig))
    expect(readEdgePolicy(JSON.parse(JSON.stringify(policy)))).toEqual(policy)
    expect(() => readEdgePolicy({ ...policy, deployment: 'DEV' })).toThrow(/deployment/)
    expect(() =>
      readEdgePolicy({ ...policy, hosts: { 'a.b': { host: 'a.b', routes: [] } } }),
    ).toThrow(/host name/)
  })

  describe('identity providers and token settings', () => {
    const provider = {
      issuer: 'https://login.corp.test/',
      audience: 'portcullis-api',
      algorithms: ['RS256'],
      jwksUrl: 'https://login.corp.test/jwks',
      roles: { claim: 'groups', map: { 'gw-admins': 'admin' } },
    }

    it('carries providers and token settings into the edge policy', () => {
      const c = loadConfig(repoConfig, {
        tokens: { accessTtlSeconds: 120, jwks: { cooldownSeconds: 5 } },
        identityProviders: { corp: provider },
      })
      const policy = readEdgePolicy(JSON.parse(JSON.stringify(edgePolicyOf(c))))
      expect(policy.tokens).toMatchObject({ accessTtlSeconds: 120, clockSkewSeconds: 30 })
      expect(policy.tokens!.jwks.cooldownSeconds).toBe(5)
      expect(policy.identityProviders).toEqual({ corp: provider })
    })

    it.each([
      ['IDP-401 an HMAC algorithm', { algorithms: ['HS256'] }, 'identityProviders.corp'],
      [
        'IDP-402 a plain-http JWKS URL',
        { jwksUrl: 'http://login.corp.test/jwks' },
        'identityProviders.corp',
      ],
      ['IDP-403 an unknown provider field', { jku: 'https://x.test' }, 'identityProviders.corp'],
      ['IDP-404 a provider without an audience', { audience: undefined }, 'identityProviders.corp'],
    ])('%s stops the start, naming the provider', (_, change, key) => {
      const bad = { ...provider, ...change }
      expect(keyOf(() => loadConfig(repoConfig, { identityProviders: { corp: bad } }))).toBe(key)
    })

    it('IDP-405 an upstream named like the token endpoint (oauth2) is refused', () => {
      const upstream = { baseUrl: 'http://127.0.0.1:1', openapi: 'demo/openapi.json' }
      expect(keyOf(() => loadConfig(repoConfig, { upstreams: { oauth2: upstream } }))).toBe(
        'upstreams.oauth2',
      )
    })

    it('refuses an access-token lifetime beyond 15 minutes', () => {
      expect(keyOf(() => loadConfig(repoConfig, { tokens: { accessTtlSeconds: 901 } }))).toBe(
        'tokens.accessTtlSeconds',
      )
    })
  })
})
