import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { loadConfig, parseConfig } from '../config/index.js'
import { describeTopology, ensureCredentials, readCreds } from '../topology/index.js'
import { edgeDevConfig, linkEnvOf, linkUrlOf, tokenWorkerDevConfig } from './edge-dev.js'
import { REPO_ROOT } from './root.js'

const toml = (path: string) => readFileSync(join(REPO_ROOT, path), 'utf8')
const nameOf = (text: string) => /^name\s*=\s*"([^"]+)"/m.exec(text)?.[1]

describe('local edge configs', () => {
  it('the ingress binds both token services as wrangler.toml declares them', () => {
    const config = loadConfig(join(REPO_ROOT, 'portcullis.config.json'))
    const generated = edgeDevConfig(config, 'ws://127.0.0.1:1') as {
      services: Array<{ binding: string; service: string; entrypoint: string }>
    }
    const root = toml('wrangler.toml')
    for (const s of generated.services) {
      expect(root).toContain(
        `[[services]]\nbinding = "${s.binding}"\nservice = "${s.service}"\nentrypoint = "${s.entrypoint}"`,
      )
    }
    expect(generated.services.map((s) => s.binding).sort()).toEqual([
      'ACCESS_TOKENS',
      'BEARER_TOKENS',
    ])
  })

  it('each token worker keeps the name of its own wrangler.toml and carries no secret', () => {
    for (const service of ['access', 'bearer'] as const) {
      const generated = tokenWorkerDevConfig(service)
      expect(generated.name).toBe(nameOf(toml(`token-services/${service}/wrangler.toml`)))
      expect(JSON.stringify(generated)).not.toMatch(/SIGNING_KEYS|"d"/)
    }
    expect(tokenWorkerDevConfig('bearer')).toMatchObject({
      durable_objects: { bindings: [{ name: 'REVOCATIONS', class_name: 'Revocations' }] },
    })
  })

  it("the link credentials go on one env-file line that wrangler's reader turns back into the file", async () => {
    const config = loadConfig(join(REPO_ROOT, 'portcullis.config.json'))
    const dir = mkdtempSync(join(tmpdir(), 'portcullis-edge-env-'))
    try {
      await ensureCredentials(dir, describeTopology(config), { ttlSeconds: 600 })
      const line = linkEnvOf(dir, config.edge.id)
      const m = /^LINK_CREDS="([^"\n]*)"\n$/.exec(line)
      expect(m).not.toBeNull()
      // What wrangler's env-file parser does to a double-quoted value.
      const value = m![1]!.replace(/\\n/g, '\n')
      expect(value).toBe(new TextDecoder().decode(readCreds(dir, 'edge-local', 'link')))
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })

  it('RATE-003 the ingress gets the rate-limit bindings and quota objects wrangler.toml declares', () => {
    const config = loadConfig(join(REPO_ROOT, 'portcullis.config.json'))
    const generated = edgeDevConfig(config, 'ws://127.0.0.1:1') as {
      ratelimits: Array<{
        name: string
        namespace_id: string
        simple: { limit: number; period: number }
      }>
      durable_objects: { bindings: Array<{ name: string; class_name: string }> }
    }
    const root = toml('wrangler.toml')
    expect(generated.ratelimits.length).toBeGreaterThan(0)
    for (const r of generated.ratelimits) {
      expect(root).toContain(
        `[[ratelimits]]\nname = "${r.name}"\nnamespace_id = "${r.namespace_id}"\nsimple = { limit = ${r.simple.limit}, period = ${r.simple.period} }`,
      )
    }
    expect(generated.durable_objects.bindings).toContainEqual({
      name: 'RATE_QUOTA',
      class_name: 'RateQuota',
    })
    expect(root).toContain(
      '[[durable_objects.bindings]]\nname = "RATE_QUOTA"\nclass_name = "RateQuota"',
    )
  })

  it('EDGE-306 the worker is given every link node: one URL with bus.nodes 1, three with 3', () => {
    const raw = JSON.parse(readFileSync(join(REPO_ROOT, 'portcullis.config.json'), 'utf8')) as {
      bus?: Record<string, unknown>
    }
    const file = join(REPO_ROOT, 'portcullis.config.json')
    const one = parseConfig(raw, file)
    expect(linkUrlOf(one)).toBe(`ws://${one.bus.host}:${one.bus.ports.linkWebsocket}`)
    const three = parseConfig({ ...raw, bus: { ...raw.bus, nodes: 3 } }, file)
    const urls = linkUrlOf(three).split(',')
    expect(urls).toHaveLength(3)
    expect(new Set(urls).size).toBe(3)
    for (const u of urls) expect(u).toMatch(/^ws:\/\/127\.0\.0\.1:[0-9]+$/)
    const vars = (edgeDevConfig(three, linkUrlOf(three)) as { vars: Record<string, unknown> }).vars
    expect(vars.LINK_URL).toBe(urls.join(','))
  })
})
