import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { subjects } from '../../core/index.js'
import { ConfigError, parseConfig } from '../../config/index.js'
import { linkWebsocketUrls, serverUrls } from './bus-urls.js'
import { describeTopology } from './describe.js'
import { assertTrustRootUngranted } from './trust-root-check.js'
import type { BusSpec, TopologyConfig } from './types.js'

const ROOT = fileURLToPath(new URL('../..', import.meta.url))
const config: TopologyConfig = parseConfig(
  {
    edge: { id: 'local', peers: ['paris', 'tokyo'] },
    upstreams: { demo: { baseUrl: 'http://127.0.0.1:8790', openapi: 'demo/openapi.json' } },
  },
  `${ROOT}portcullis.config.json`,
)

describe('describeTopology: edges', () => {
  it('gives every edge deployment an identity of its own on the link, WebSocket only', () => {
    const topology = describeTopology(config)
    const edges = topology.identities.filter((i) => i.kind === 'edge')
    expect(edges).toEqual([
      { id: 'edge-local', kind: 'edge', edgeId: 'local' },
      { id: 'edge-paris', kind: 'edge', edgeId: 'paris' },
      { id: 'edge-tokyo', kind: 'edge', edgeId: 'tokyo' },
    ])
    const link = topology.buses.find((s) => s.name === 'link')!
    for (const { id, edgeId } of edges) {
      expect(link.grants.find((g) => g.identity === id)).toEqual({
        identity: id,
        publish: [subjects.linkRequest(edgeId!), subjects.audit(id)],
        subscribe: [`${subjects.linkInbox(edgeId!)}.>`],
        websocketOnly: true,
      })
      // An edge is a user of the link only.
      const elsewhere = topology.buses.filter((s) => s.grants.some((g) => g.identity === id))
      expect(elsewhere.map((s) => s.name)).toEqual(['link'])
    }
  })

  it('has one edge when no peers are configured', () => {
    const { peers: _, ...edge } = config.edge
    const topology = describeTopology({ ...config, edge })
    expect(topology.identities.filter((i) => i.kind === 'edge').map((i) => i.id)).toEqual([
      'edge-local',
    ])
  })

  it("refuses a peer that is the deployment's own edge id, naming the key", () => {
    const bad = { ...config, edge: { ...config.edge, peers: ['paris', 'local'] } }
    expect(() => describeTopology(bad)).toThrow(ConfigError)
    try {
      describeTopology(bad)
    } catch (e) {
      expect((e as ConfigError).key).toBe('edge.peers')
    }
  })
})

describe('describeTopology: the trust root', () => {
  it('BUS-205 no grant reaches the trust root, and a topology with one that does is refused', () => {
    const topology = describeTopology(config)
    expect(() => assertTrustRootUngranted(topology.buses)).not.toThrow()
    for (const wide of ['>', '*.>', 'pc-trust.*']) {
      const buses: BusSpec[] = structuredClone(topology.buses)
      buses[1]!.grants[0]!.subscribe.push(wide)
      expect(() => assertTrustRootUngranted(buses), wide).toThrow(/reaches the trust root/)
    }
  })
})

describe('describeTopology: three nodes per bus', () => {
  const three = (bus: object = {}, nodes = 3) =>
    parseConfig(
      {
        upstreams: { demo: { baseUrl: 'http://127.0.0.1:8790', openapi: 'demo/openapi.json' } },
        bus: { nodes, ...bus },
      },
      `${ROOT}portcullis.config.json`,
    )

  it('keeps three copies of every stream and gives clients every node of a bus', () => {
    const topology = describeTopology(three())
    expect(topology.nodes).toBe(3)
    expect(topology.streams.map((s) => s.replicas)).toEqual(topology.streams.map(() => 3))
    expect(serverUrls(topology, 'creq')).toEqual([
      'nats://127.0.0.1:7423',
      'nats://127.0.0.1:7433',
      'nats://127.0.0.1:7443',
    ])
    expect(linkWebsocketUrls(topology)).toEqual([
      'ws://127.0.0.1:7421',
      'ws://127.0.0.1:7431',
      'ws://127.0.0.1:7441',
    ])
    // Grants do not depend on the node count.
    const one = describeTopology(three({}, 1))
    expect(topology.buses.map((s) => s.grants)).toEqual(one.buses.map((s) => s.grants))
  })

  it('one node: one copy, one URL per bus, no route port', () => {
    const topology = describeTopology(config)
    expect(topology.streams.every((s) => s.replicas === 1)).toBe(true)
    expect(serverUrls(topology, 'dreq')).toEqual(['nats://127.0.0.1:7422'])
    expect(topology.buses.every((s) => s.routePorts === undefined)).toBe(true)
  })

  it('refuses a config whose node or route ports clash, naming the key', () => {
    // creq's node 2 would be 7433; put dresp's node 1 there.
    expect(() => three({ ports: { dresp: 7433 } })).toThrow(ConfigError)
    expect(() => three({ ports: { dresp: 7433 } })).toThrow(
      /bus\.cluster\.nodePorts\.creq\[0\]|7433/,
    )
    expect(() => three({ cluster: { routePorts: { link: [8787, 9001, 9002] } } })).toThrow(
      /edge\.port|8787/,
    )
    expect(() => three({ ports: { cresp: 65500 } })).toThrow(/above 65535/)
    // With one node the derived ports are not reserved.
    expect(() => three({ ports: { dresp: 7433 } }, 1)).not.toThrow()
  })
})
