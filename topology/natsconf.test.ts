import { describe, expect, it } from 'vitest'
import { createUser } from '@nats-io/nkeys'
import { describeTopology, type ServerSpec, type Topology } from './describe.js'
import { renderServerConfig, serverPaths, type RenderOptions } from './natsconf.js'

const config = {
  topology: 'isolated',
  edge: {
    id: 'local',
    port: 8787,
    deadlineMs: 15_000,
    maxUrlBytes: 8192,
    maxBodyBytes: 1_000_000,
    linkPoolSize: 4,
  },
  upstreams: {
    demo: {
      baseUrl: 'http://127.0.0.1:8790',
      openapi: 'demo/openapi.json',
      timeoutMs: 1000,
      maxResponseBytes: 1000,
    },
  },
  bus: {
    host: '127.0.0.1',
    ports: { link: 7420, linkWebsocket: 7421, dreq: 7422, creq: 7423, dresp: 7424, cresp: 7425 },
    maxPayloadBytes: 2_097_152,
    duplicateWindowMs: 120_000,
    streamMaxBytes: 1_073_741_824,
    streamMaxMessages: 1_000_000,
    maxDeliver: 5,
    ackWaitMs: 3000,
  },
} as const

const topology = describeTopology(structuredClone(config) as Parameters<typeof describeTopology>[0])
const keys = Object.fromEntries(
  topology.identities.map((i) => [i.id, { publicKey: createUser().getPublicKey() }]),
)
const opts = { storeDir: '/var/lib/portcullis/nats/dreq', maxPayloadBytes: 2_097_152 }

function server(name: string): ServerSpec {
  return topology.servers.find((s) => s.name === name)!
}

function render(
  spec: ServerSpec,
  t: Topology = topology,
  k = keys,
  o: RenderOptions = opts,
): string {
  return renderServerConfig(t, spec, k, o)
}

describe('renderServerConfig', () => {
  it('names the server, listens on the topology host only and sets the payload limit', () => {
    const text = render(server('dreq'))
    expect(text).toContain('server_name: "portcullis-dreq"\n')
    expect(text).toContain('listen: "127.0.0.1:7422"\n')
    expect(text).toContain('max_payload: 2097152\n')
    expect(text).not.toMatch(/0\.0\.0\.0|http:|monitor/)
  })

  it('gives JetStream servers a bounded store and the link none', () => {
    const dreq = render(server('dreq'))
    expect(dreq).toContain('store_dir: "/var/lib/portcullis/nats/dreq"')
    expect(dreq).toMatch(/max_memory_store: \d+/)
    // One stream of 1 GiB plus 1 GiB of headroom.
    expect(dreq).toContain(`max_file_store: ${2 * 1024 ** 3}`)
    expect(
      render(server('dreq'), topology, keys, { ...opts, streamMaxBytes: 4 * 1024 ** 3 }),
    ).toContain(`max_file_store: ${5 * 1024 ** 3}`)
    const link = render(server('link'))
    expect(link).not.toContain('jetstream')
    expect(link).toContain('websocket {\n  listen: "127.0.0.1:7421"\n  no_tls: true\n}')
  })

  it('renders one nkey user per grant with quoted allow-lists and no deny rules', () => {
    for (const spec of topology.servers) {
      const text = render(spec)
      expect(text).not.toMatch(/deny/)
      expect(text.match(/nkey: "U[A-Z2-7]{55}"/g)).toHaveLength(spec.grants.length)
      for (const g of spec.grants) {
        expect(text).toContain(`nkey: "${keys[g.identity]!.publicKey}"`)
        expect(text).toContain(
          `publish: { allow: ${JSON.stringify(g.publish).replaceAll(',', ', ')} }`,
        )
        expect(text).toContain(
          `subscribe: { allow: ${JSON.stringify(g.subscribe).replaceAll(',', ', ')} }`,
        )
      }
    }
    expect(render(server('dreq'))).toContain('"$JS.API.CONSUMER.MSG.NEXT.DREQ.request-validator"')
  })

  it('pins the edge to WebSocket and every other user to plain TCP', () => {
    const link = render(server('link'))
    expect(link.match(/allowed_connection_types: \["WEBSOCKET"\]/g)).toHaveLength(1)
    const edgeUser = link.slice(link.indexOf('# edge-local'), link.indexOf('# relay'))
    expect(edgeUser).toContain('allowed_connection_types: ["WEBSOCKET"]')
    for (const spec of topology.servers.filter((s) => s.name !== 'link')) {
      const text = render(spec)
      expect(text).not.toContain('WEBSOCKET')
      expect(text.match(/allowed_connection_types: \["STANDARD"\]/g)).toHaveLength(
        spec.grants.length,
      )
    }
  })

  it('escapes quotes and backslashes in paths and refuses control characters', () => {
    expect(
      render(server('dreq'), topology, keys, { ...opts, storeDir: '/tmp/a "b"\\c' }),
    ).toContain('store_dir: "/tmp/a \\"b\\"\\\\c"')
    expect(() =>
      render(server('dreq'), topology, keys, { ...opts, storeDir: '/tmp/a\n}\nx' }),
    ).toThrow(/control character/)
  })

  it('refuses an empty allow-list, which nats-server would read as "allow everything"', () => {
    const spec = structuredClone(server('dreq'))
    spec.grants[0]!.subscribe = []
    expect(() => render(spec)).toThrow(/empty subscribe list/)
  })

  it('refuses subjects, hosts and keys that do not fit', () => {
    const bad = structuredClone(server('dreq'))
    bad.grants[0]!.publish = ['pc.dreq.> ] } x']
    expect(() => render(bad)).toThrow(/bad subject/)
    expect(() => render(server('dreq'), { ...topology, host: '127.0.0.1" x' })).toThrow(
      /bad bus host/,
    )
    expect(() =>
      render(server('dreq'), topology, { ...keys, relay: { publicKey: 'SUAAA' } }),
    ).toThrow(/not a public user nkey/)
    const { relay: _relay, ...missing } = keys
    expect(() => render(server('dreq'), topology, missing)).toThrow(/no key for identity relay/)
  })

  it('refuses a WebSocket-only user on a server without a WebSocket listener', () => {
    const spec = structuredClone(server('dreq'))
    spec.grants[0]!.websocketOnly = true
    expect(() => render(spec)).toThrow(/WebSocket-only/)
  })
})

describe('serverPaths', () => {
  it('keeps configs and stores under <data>/nats', () => {
    expect(serverPaths('/d', 'cresp')).toEqual({
      confPath: '/d/nats/cresp.conf',
      storeDir: '/d/nats/cresp',
    })
  })
})
