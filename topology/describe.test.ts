import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { subjects } from '../core/index.js'
import { ConfigError, parseConfig } from '../config/index.js'
import {
  assertTrustRootUngranted,
  describeTopology,
  type ServerSpec,
  type TopologyConfig,
} from './describe.js'

const ROOT = fileURLToPath(new URL('..', import.meta.url))
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
    const link = topology.servers.find((s) => s.name === 'link')!
    for (const { id, edgeId } of edges) {
      expect(link.grants.find((g) => g.identity === id)).toEqual({
        identity: id,
        publish: [subjects.linkRequest(edgeId!), subjects.audit(id)],
        subscribe: [`${subjects.linkInbox(edgeId!)}.>`],
        websocketOnly: true,
      })
      // An edge is a user of the link only.
      const elsewhere = topology.servers.filter((s) => s.grants.some((g) => g.identity === id))
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
    expect(() => assertTrustRootUngranted(topology.servers)).not.toThrow()
    for (const wide of ['>', '*.>', 'pc-trust.*']) {
      const servers: ServerSpec[] = structuredClone(topology.servers)
      servers[1]!.grants[0]!.subscribe.push(wide)
      expect(() => assertTrustRootUngranted(servers), wide).toThrow(/reaches the trust root/)
    }
  })
})
