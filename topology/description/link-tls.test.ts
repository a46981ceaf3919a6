import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { ConfigError, parseConfig } from '../../config/index.js'
import { ensureCredentials } from '../actions/ensure-credentials.js'
import { linkWebsocketUrls } from './bus-urls.js'
import { describeTopology } from './describe.js'
import { natsServersOf } from './nats-servers.js'
import { renderServerConfig } from './server-config.js'
import { serverTrust, type BusTrust } from './trust.js'
import type { Topology, TopologyConfig } from './types.js'

const REPO_CONFIG = join(import.meta.dirname, '..', '..', 'portcullis.config.json')

const base = {
  topology: 'isolated',
  edge: { id: 'local' },
  upstreams: { demo: {} },
  bus: {
    host: '127.0.0.1',
    nodes: 1,
    ports: { link: 7420, linkWebsocket: 7421, dreq: 7422, creq: 7423, dresp: 7424, cresp: 7425 },
  },
} as unknown as TopologyConfig

const tls = { certFile: '/etc/portcullis/link.pem', keyFile: '/etc/portcullis/link.key' }
const opts = { storeDir: '/var/lib/portcullis/nats/link', maxPayloadBytes: 2_097_152 }
let dir: string
let trust: BusTrust

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'portcullis-link-tls-'))
  trust = (await ensureCredentials(dir, describeTopology(base), { ttlSeconds: 3600 })).trust
})

afterAll(() => {
  rmSync(dir, { recursive: true, force: true })
})

function render(topology: Topology, name: string): string {
  const spec = natsServersOf(topology).find((s) => s.name === name)!
  const routeSecret = spec.cluster ? 'r'.repeat(32) : undefined
  return renderServerConfig(topology, spec, serverTrust(trust, spec.buses), {
    ...opts,
    ...(routeSecret && { routeSecret }),
  })
}

describe('TLS on the link', () => {
  it('renders the websocket listener with the certificate and no no_tls; other servers unchanged', () => {
    const topology = describeTopology({ ...base, link: { tls, allowPlaintext: false } })
    const link = render(topology, 'link')
    expect(link).toContain(
      'websocket {\n  listen: "127.0.0.1:7421"\n  tls {\n' +
        '    cert_file: "/etc/portcullis/link.pem"\n    key_file: "/etc/portcullis/link.key"\n  }\n}\n',
    )
    expect(link).not.toContain('no_tls')
    // The client port (the relay, on the same host) stays plain; no other server has a websocket.
    expect(link).not.toMatch(/^tls/m)
    expect(render(topology, 'dreq')).toBe(render(describeTopology(base), 'dreq'))
  })

  it('without link settings the listener and the URLs are what they always were', () => {
    const topology = describeTopology(base)
    expect(topology.link).toBeUndefined()
    expect(render(topology, 'link')).toContain(
      'websocket {\n  listen: "127.0.0.1:7421"\n  no_tls: true\n}',
    )
    expect(linkWebsocketUrls(topology)).toEqual(['ws://127.0.0.1:7421'])
  })

  it('the edge dials wss:// on the public host the certificate names, every node of a cluster', () => {
    expect(
      linkWebsocketUrls(describeTopology({ ...base, link: { tls, allowPlaintext: false } })),
    ).toEqual(['wss://127.0.0.1:7421'])
    const three = describeTopology({
      ...base,
      bus: { ...base.bus, nodes: 3 },
      link: { tls, publicHost: 'link.example.com', allowPlaintext: false },
    })
    expect(linkWebsocketUrls(three)).toEqual([
      'wss://link.example.com:7421',
      'wss://link.example.com:7431',
      'wss://link.example.com:7441',
    ])
    for (const node of ['link.1', 'link.2', 'link.3'])
      expect(render(three, node)).toContain('    cert_file: "/etc/portcullis/link.pem"\n')
    // publicHost alone moves the URLs, not the scheme; the listener still binds bus.host.
    const named = describeTopology({
      ...base,
      link: { publicHost: 'localhost', allowPlaintext: false },
    })
    expect(linkWebsocketUrls(named)).toEqual(['ws://localhost:7421'])
    expect(render(named, 'link')).toContain('listen: "127.0.0.1:7421"\n  no_tls: true')
  })

  it('WSS-010 PROD refuses a link without TLS unless link.allowPlaintext says so', () => {
    const prod = { ...base, deployment: 'PROD' } as const
    expect(() => describeTopology(prod)).toThrow(ConfigError)
    expect(() => describeTopology(prod)).toThrow(/config link\.tls: PROD needs TLS on the link/)
    expect(
      linkWebsocketUrls(describeTopology({ ...prod, link: { tls, allowPlaintext: false } })),
    ).toEqual(['wss://127.0.0.1:7421'])
    expect(
      linkWebsocketUrls(describeTopology({ ...prod, link: { allowPlaintext: true } })),
    ).toEqual(['ws://127.0.0.1:7421'])
    // LAB (npm start) needs nothing.
    expect(() => describeTopology({ ...base, deployment: 'LAB' })).not.toThrow()
  })

  it('the certificate paths resolve against the config file, like paths.keys', () => {
    const raw = JSON.parse(readFileSync(REPO_CONFIG, 'utf8')) as Record<string, unknown>
    const file = REPO_CONFIG
    const root = join(import.meta.dirname, '..', '..')
    const config = parseConfig(
      {
        ...raw,
        link: { tls: { certFile: 'tls/link.pem', keyFile: '/abs/link.key', caFile: 'ca.pem' } },
      },
      file,
    )
    expect(config.link).toEqual({
      tls: {
        certFile: join(root, 'tls/link.pem'),
        keyFile: '/abs/link.key',
        caFile: join(root, 'ca.pem'),
      },
      allowPlaintext: false,
    })
    expect(parseConfig(raw, file).link).toEqual({ allowPlaintext: false })
    expect(() => parseConfig({ ...raw, link: { tls: { certFile: 'a.pem' } } }, file)).toThrow(
      /config link\.tls: .*keyFile/,
    )
    expect(() => parseConfig({ ...raw, link: { publicHost: 'a b' } }, file)).toThrow(
      /config link\.publicHost/,
    )
  })
})
