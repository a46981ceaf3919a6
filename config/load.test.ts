import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { ConfigError, edgePolicyOf, loadConfig } from './index.js'
import { readEdgePolicy } from '../core/index.js'

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
    expect(c.routes.demo!.routes.length).toBe(6)
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
})
