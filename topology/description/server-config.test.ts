import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { decode, encodeAccount, encodeOperator, type Account } from '@nats-io/jwt'
import { createAccount, createOperator } from '@nats-io/nkeys'
import { ensureCredentials } from '../actions/ensure-credentials.js'
import { serverPaths } from '../actions/server-config-file.js'
import { describeTopology } from './describe.js'
import { natsServersOf } from './nats-servers.js'
import { renderServerConfig, type RenderOptions } from './server-config.js'
import { serverTrust, type BusTrust, type ServerTrust } from './trust.js'
import type { NatsServerSpec, Topology } from './types.js'

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
      honoursIdempotencyKey: false,
    },
  },
  bus: {
    host: '127.0.0.1',
    nodes: 1,
    ports: { link: 7420, linkWebsocket: 7421, dreq: 7422, creq: 7423, dresp: 7424, cresp: 7425 },
    maxPayloadBytes: 2_097_152,
    duplicateWindowMs: 120_000,
    streamMaxBytes: 1_073_741_824,
    streamMaxMessages: 1_000_000,
    maxDeliver: 5,
    ackWaitMs: 3000,
    credentialsTtlSeconds: 86_400,
  },
} as const

const topology = describeTopology(structuredClone(config) as Parameters<typeof describeTopology>[0])
const opts = { storeDir: '/var/lib/portcullis/nats/dreq', maxPayloadBytes: 2_097_152 }
let dir: string
let trust: BusTrust

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'portcullis-natsconf-'))
  trust = (await ensureCredentials(dir, topology, { ttlSeconds: 3600 })).trust
})

afterAll(() => {
  rmSync(dir, { recursive: true, force: true })
})

function server(name: string): NatsServerSpec {
  return natsServersOf(topology).find((s) => s.name === name)!
}

function render(
  spec: NatsServerSpec,
  t: Topology = topology,
  o: RenderOptions = opts,
  k: ServerTrust = serverTrust(trust, spec.buses),
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

  it('gives every server a bounded store: its data stream and its audit stream', () => {
    const dreq = render(server('dreq'))
    expect(dreq).toContain('store_dir: "/var/lib/portcullis/nats/dreq"')
    expect(dreq).toMatch(/max_memory_store: \d+/)
    // Two streams of 1 GiB plus 1 GiB of headroom.
    expect(dreq).toContain(`max_file_store: ${3 * 1024 ** 3}`)
    expect(render(server('dreq'), topology, { ...opts, streamMaxBytes: 4 * 1024 ** 3 })).toContain(
      `max_file_store: ${9 * 1024 ** 3}`,
    )
    // The link keeps only the audit stream (the edges' events).
    const link = render(server('link'))
    expect(link).toContain(`max_file_store: ${2 * 1024 ** 3}`)
    expect(link).toContain('websocket {\n  listen: "127.0.0.1:7421"\n  no_tls: true\n}')
  })

  it('trusts one operator and preloads only its own account and the system account', () => {
    for (const spec of natsServersOf(topology)) {
      const text = render(spec)
      const account = trust.accounts[spec.buses[0]!]!
      expect(text).toContain(`operator: "${trust.operatorJwt}"\n`)
      expect(text).toContain(`system_account: "${trust.system.publicKey}"\n`)
      expect(text).toContain('resolver: MEMORY\n')
      expect(text).toContain(`  ${account.publicKey}: "${account.jwt}"\n`)
      expect(text).toContain(`  ${trust.system.publicKey}: "${trust.system.jwt}"\n`)
      // No other bus's account: credentials issued on one bus are unknown to the others.
      for (const other of topology.buses.filter((o) => o.name !== spec.name))
        expect(text).not.toContain(trust.accounts[other.name]!.publicKey)
    }
  })

  it('single-nats: one server preloads every bus account, each still its own account', () => {
    const single = describeTopology({
      ...structuredClone(config),
      topology: 'single-nats',
    } as Parameters<typeof describeTopology>[0])
    const servers = natsServersOf(single)
    expect(servers).toEqual([
      {
        name: 'nats',
        group: 'nats',
        port: 7420,
        websocketPort: 7421,
        jetstream: true,
        buses: ['link', 'dreq', 'creq', 'dresp', 'cresp'],
      },
    ])
    const text = render(servers[0]!, single)
    expect(text).toContain('server_name: "portcullis-nats"\n')
    for (const bus of servers[0]!.buses) {
      const account = trust.accounts[bus]!
      expect(text).toContain(`  # ${bus}\n  ${account.publicKey}: "${account.jwt}"\n`)
    }
    // No account imports or exports anything: buses share nothing but the process.
    for (const bus of servers[0]!.buses) {
      const claims = decode<Account>(trust.accounts[bus]!.jwt).nats
      expect(claims.imports ?? []).toEqual([])
      expect(claims.exports ?? []).toEqual([])
    }
  })

  it('holds no user, key, password or permission: those are in the signed user JWTs', () => {
    for (const spec of natsServersOf(topology)) {
      const text = render(spec)
      const keysOnly = text.replace(/"[^"]*"/g, '""').replace(/#.*$/gm, '')
      expect(keysOnly).not.toMatch(/authorization|users|nkey|password|permissions|deny|allow/)
      expect(text).not.toMatch(/\bS[UAO][A-Z2-7]{50,}/)
    }
  })

  it('enables JetStream in the bus accounts and never in the system account', () => {
    for (const spec of topology.buses) {
      const limits = decode<Account>(trust.accounts[spec.name]!.jwt).nats.limits!
      expect(limits.disk_storage).toBe(-1)
      expect(limits.disallow_bearer).toBe(true)
    }
    expect(decode<Account>(trust.system.jwt).nats.limits!.disk_storage).toBeUndefined()
  })

  it('escapes quotes and backslashes in paths and refuses control characters', () => {
    expect(render(server('dreq'), topology, { ...opts, storeDir: '/tmp/a "b"\\c' })).toContain(
      'store_dir: "/tmp/a \\"b\\"\\\\c"',
    )
    expect(() => render(server('dreq'), topology, { ...opts, storeDir: '/tmp/a\n}\nx' })).toThrow(
      /control character/,
    )
  })

  it('refuses a host that does not fit', () => {
    expect(() => render(server('dreq'), { ...topology, host: '127.0.0.1" x' })).toThrow(
      /bad bus host/,
    )
  })

  it('refuses trust material that does not chain to the operator', async () => {
    const dreq = server('dreq')
    const own = serverTrust(trust, ['dreq'])
    const ownAccount = own.accounts[0]!
    const stranger = createAccount()
    const foreign = await encodeAccount('dreq', stranger, {}, { signer: createOperator() })
    const cases: Array<[ServerTrust, RegExp]> = [
      [{ ...own, operatorJwt: 'not.a.jwt' }, /operator JWT is not a valid/],
      [
        { ...own, operatorJwt: await encodeOperator('x', createOperator()) },
        /names another system account/,
      ],
      [
        { ...own, accounts: [{ ...ownAccount, publicKey: stranger.getPublicKey() }] },
        /not this operator's dreq/,
      ],
      [
        { ...own, accounts: [{ name: 'dreq', publicKey: stranger.getPublicKey(), jwt: foreign }] },
        /not this operator's dreq/,
      ],
      [{ ...own, accounts: [{ ...ownAccount, publicKey: 'UABC' }] }, /not a public account key/],
      [{ ...own, accounts: [{ ...ownAccount, name: 'dreq\n}' }] }, /bad account name/],
      [{ ...own, accounts: [] }, /carries 1 buses, given 0 accounts/],
    ]
    for (const [bad, message] of cases)
      expect(() => render(dreq, topology, opts, bad)).toThrow(message)
  })
})

describe('renderServerConfig: three nodes per bus', () => {
  const clustered = (mode: 'isolated' | 'single-nats', cluster?: object) =>
    describeTopology({
      ...structuredClone(config),
      topology: mode,
      bus: { ...structuredClone(config.bus), nodes: 3, ...(cluster && { cluster }) },
    } as Parameters<typeof describeTopology>[0])
  const SECRET = 'A'.repeat(43)

  it('runs every bus as three nodes on their own client and route ports, each naming its two peers', () => {
    const nodes = natsServersOf(clustered('isolated'))
    expect(nodes.map((n) => n.name)).toEqual(
      ['link', 'dreq', 'creq', 'dresp', 'cresp'].flatMap((b) => [`${b}.1`, `${b}.2`, `${b}.3`]),
    )
    // Node 1 on `bus.ports`, nodes 2 and 3 at +10 and +20, routes at +30, +40 and +50.
    expect(nodes.find((n) => n.name === 'dreq.2')).toEqual({
      name: 'dreq.2',
      group: 'dreq',
      node: 2,
      port: 7432,
      jetstream: true,
      buses: ['dreq'],
      cluster: {
        name: 'portcullis-dreq',
        port: 7462,
        routes: ['nats-route://127.0.0.1:7452', 'nats-route://127.0.0.1:7472'],
      },
    })
    expect(nodes.filter((n) => n.group === 'link').map((n) => n.websocketPort)).toEqual([
      7421, 7431, 7441,
    ])
    const ports = nodes.flatMap((n) => [n.port, n.cluster!.port, n.websocketPort ?? []].flat())
    expect(new Set(ports).size).toBe(ports.length)
  })

  it('takes node and route ports from bus.cluster where the config gives them', () => {
    const nodes = natsServersOf(
      clustered('isolated', {
        nodePorts: { cresp: [9001, 9002] },
        routePorts: { cresp: [9011, 9012, 9013] },
      }),
    ).filter((n) => n.group === 'cresp')
    expect(nodes.map((n) => [n.port, n.cluster!.port])).toEqual([
      [7425, 9011],
      [9001, 9012],
      [9002, 9013],
    ])
  })

  it('renders a cluster block whose route listener admits only the route secret, and dials the peers with it', () => {
    const topology3 = clustered('isolated')
    const node = natsServersOf(topology3).find((n) => n.name === 'dreq.2')!
    const text = renderServerConfig(topology3, node, serverTrust(trust, node.buses), {
      ...opts,
      routeSecret: SECRET,
    })
    expect(text).toContain('server_name: "portcullis-dreq-2"\n')
    expect(text).toContain('listen: "127.0.0.1:7432"\n')
    expect(text).toContain(
      [
        'cluster {',
        '  name: "portcullis-dreq"',
        '  listen: "127.0.0.1:7462"',
        '  no_advertise: true',
        '  authorization {',
        '    user: "route"',
        `    password: "${SECRET}"`,
        '    timeout: 2',
        '  }',
        '  routes: [',
        `    "nats-route://route:${SECRET}@127.0.0.1:7452"`,
        `    "nats-route://route:${SECRET}@127.0.0.1:7472"`,
        '  ]',
        '}',
      ].join('\n'),
    )
    // Still operator mode: no client user, no account outside its own bus and the system's.
    expect(text).not.toMatch(/^\s*users\s*[:=]/m)
    expect(text).not.toContain('nkey')
  })

  it('refuses to render a cluster node without its route secret, or with one that is not a secret', () => {
    const topology3 = clustered('isolated')
    const node = natsServersOf(topology3).find((n) => n.name === 'creq.1')!
    const k = serverTrust(trust, node.buses)
    expect(() => renderServerConfig(topology3, node, k, opts)).toThrow(/route secret/)
    expect(() => renderServerConfig(topology3, node, k, { ...opts, routeSecret: 'x@y' })).toThrow(
      /route secret/,
    )
  })

  it('single-nats with three nodes: one cluster of three carrying every account, on the link ports', () => {
    const nodes = natsServersOf(clustered('single-nats'))
    expect(nodes.map((n) => [n.name, n.port, n.websocketPort, n.cluster!.port])).toEqual([
      ['nats.1', 7420, 7421, 7450],
      ['nats.2', 7430, 7431, 7460],
      ['nats.3', 7440, 7441, 7470],
    ])
    for (const n of nodes) expect(n.buses).toEqual(['link', 'dreq', 'creq', 'dresp', 'cresp'])
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
