/**
 * The one topology description: which servers exist, which streams and consumers they
 * hold, which identities exist, and exactly what each identity may publish and subscribe
 * on each server. Server configs, stream provisioning, component connections and the
 * permission tests are all generated from this; nothing is written by hand per deployment.
 */
import { patternsOverlap, subjects, type BusName } from '../core/index.js'
import { ConfigError, type Config, type TopologyMode } from '../config/index.js'

export type ComponentKind =
  'edge' | 'relay' | 'request-validator' | 'backend' | 'response-validator' | 'admin'

export interface Identity {
  /** Unique name, also the nkey file name and the inbox token: `relay`, `backend-demo`, `edge-local`. */
  id: string
  kind: ComponentKind
  /** For a backend connector: the upstream host it serves. */
  host?: string
  /** For an edge: its edge id. */
  edgeId?: string
}

export interface Grant {
  identity: string
  publish: string[]
  subscribe: string[]
  /** Only WebSocket connections may use this identity (the edge's link identity). */
  websocketOnly?: boolean
}

export interface ServerSpec {
  /** The bus this server carries (in the isolated topology, one server per bus). */
  name: BusName
  port: number
  websocketPort?: number
  jetstream: boolean
  grants: Grant[]
}

export interface ConsumerSpec {
  name: string
  filter: string
  /** The identity that fetches from it; it alone gets fetch and ack rights. */
  identity: string
}

export interface StreamSpec {
  server: BusName
  name: string
  subjects: string[]
  consumers: ConsumerSpec[]
}

export interface Topology {
  mode: TopologyMode
  host: string
  servers: ServerSpec[]
  streams: StreamSpec[]
  identities: Identity[]
}

export const ADMIN = 'admin'

/** Inbox prefix of an identity: replies to its requests (JetStream acks, fetches) land here. */
export function inboxPrefixOf(identity: string): string {
  return `_i.${identity}`
}

export function backendIdentity(host: string): string {
  return `backend-${host}`
}

export function edgeIdentity(edgeId: string): string {
  return `edge-${edgeId}`
}

const STREAMS = {
  dreq: { name: 'DREQ', subjects: [subjects.dirtyRequestAll] },
  creq: { name: 'CREQ', subjects: [subjects.cleanRequestAll] },
  dresp: { name: 'DRESP', subjects: [subjects.dirtyResponseAll] },
  cresp: { name: 'CRESP', subjects: [subjects.cleanResponseAll] },
} as const

/** The JetStream API subjects an identity needs to fetch from and ack its own consumer. */
export function consumerRights(stream: string, consumer: string): string[] {
  return [
    `$JS.API.CONSUMER.INFO.${stream}.${consumer}`,
    `$JS.API.CONSUMER.MSG.NEXT.${stream}.${consumer}`,
    `$JS.ACK.${stream}.${consumer}.>`,
  ]
}

/** What the topology is described from: the config's edge ids, upstream hosts and buses. */
export type TopologyConfig = Pick<Config, 'topology' | 'upstreams' | 'bus'> & {
  edge: Pick<Config['edge'], 'id'> & Partial<Pick<Config['edge'], 'peers'>>
}

export function describeTopology(config: TopologyConfig): Topology {
  if (config.topology !== 'isolated') {
    throw new ConfigError(
      'topology',
      `mode ${config.topology} is not available yet; use "isolated"`,
    )
  }
  const hosts = Object.keys(config.upstreams).sort()
  const peers = config.edge.peers ?? []
  if (peers.includes(config.edge.id)) {
    throw new ConfigError('edge.peers', `edge ${config.edge.id} is this deployment's own edge id`)
  }
  // Each edge deployment is its own identity, pinned to its own request subject and inbox.
  const edges = [config.edge.id, ...peers]
  const identities: Identity[] = [
    ...edges.map((edgeId): Identity => ({ id: edgeIdentity(edgeId), kind: 'edge', edgeId })),
    { id: 'relay', kind: 'relay' },
    { id: 'request-validator', kind: 'request-validator' },
    ...hosts.map((host): Identity => ({ id: backendIdentity(host), kind: 'backend', host })),
    { id: 'response-validator', kind: 'response-validator' },
    { id: ADMIN, kind: 'admin' },
  ]

  const streams: StreamSpec[] = [
    {
      server: 'dreq',
      ...STREAMS.dreq,
      subjects: [...STREAMS.dreq.subjects],
      consumers: [
        {
          name: 'request-validator',
          filter: subjects.dirtyRequestAll,
          identity: 'request-validator',
        },
      ],
    },
    {
      server: 'creq',
      ...STREAMS.creq,
      subjects: [...STREAMS.creq.subjects],
      consumers: hosts.map((host) => ({
        name: backendIdentity(host),
        filter: subjects.cleanRequest(host),
        identity: backendIdentity(host),
      })),
    },
    {
      server: 'dresp',
      ...STREAMS.dresp,
      subjects: [...STREAMS.dresp.subjects],
      consumers: [
        {
          name: 'response-validator',
          filter: subjects.dirtyResponseAll,
          identity: 'response-validator',
        },
      ],
    },
    {
      server: 'cresp',
      ...STREAMS.cresp,
      subjects: [...STREAMS.cresp.subjects],
      consumers: [{ name: 'relay', filter: subjects.cleanResponseAll, identity: 'relay' }],
    },
  ]

  const consumerGrant = (server: BusName, identity: string): string[] =>
    streams
      .filter((s) => s.server === server)
      .flatMap((s) =>
        s.consumers
          .filter((c) => c.identity === identity)
          .map((c) => consumerRights(s.name, c.name)),
      )
      .flat()

  const inbox = (identity: string) => [`${inboxPrefixOf(identity)}.>`]
  const admin: Grant = { identity: ADMIN, publish: ['$JS.API.>'], subscribe: inbox(ADMIN) }

  const servers: ServerSpec[] = [
    {
      name: 'link',
      port: config.bus.ports.link,
      websocketPort: config.bus.ports.linkWebsocket,
      jetstream: false,
      grants: [
        ...edges.map((edgeId): Grant => ({
          identity: edgeIdentity(edgeId),
          publish: [subjects.linkRequest(edgeId)],
          subscribe: [`${subjects.linkInbox(edgeId)}.>`],
          websocketOnly: true,
        })),
        {
          identity: 'relay',
          publish: [subjects.linkInboxAll],
          subscribe: [subjects.linkRequestAll],
        },
      ],
    },
    {
      name: 'dreq',
      port: config.bus.ports.dreq,
      jetstream: true,
      grants: [
        { identity: 'relay', publish: [subjects.dirtyRequestAll], subscribe: inbox('relay') },
        {
          identity: 'request-validator',
          publish: consumerGrant('dreq', 'request-validator'),
          subscribe: inbox('request-validator'),
        },
        admin,
      ],
    },
    {
      name: 'creq',
      port: config.bus.ports.creq,
      jetstream: true,
      grants: [
        {
          identity: 'request-validator',
          publish: [subjects.cleanRequestAll],
          subscribe: inbox('request-validator'),
        },
        ...hosts.map((host): Grant => ({
          identity: backendIdentity(host),
          publish: consumerGrant('creq', backendIdentity(host)),
          subscribe: inbox(backendIdentity(host)),
        })),
        admin,
      ],
    },
    {
      name: 'dresp',
      port: config.bus.ports.dresp,
      jetstream: true,
      grants: [
        ...hosts.map((host): Grant => ({
          identity: backendIdentity(host),
          publish: [subjects.dirtyResponse(host)],
          subscribe: inbox(backendIdentity(host)),
        })),
        {
          identity: 'response-validator',
          publish: consumerGrant('dresp', 'response-validator'),
          subscribe: inbox('response-validator'),
        },
        admin,
      ],
    },
    {
      name: 'cresp',
      port: config.bus.ports.cresp,
      jetstream: true,
      grants: [
        {
          identity: 'request-validator',
          publish: [subjects.cleanResponseOf('request-validator')],
          subscribe: inbox('request-validator'),
        },
        {
          identity: 'response-validator',
          publish: [subjects.cleanResponseOf('response-validator')],
          subscribe: inbox('response-validator'),
        },
        { identity: 'relay', publish: consumerGrant('cresp', 'relay'), subscribe: inbox('relay') },
        admin,
      ],
    },
  ]

  assertTrustRootUngranted(servers)
  return { mode: config.topology, host: config.bus.host, servers, streams, identities }
}

/**
 * Refuses a topology in which any grant, however wide its wildcards, could publish or
 * subscribe on a trust-root subject: that traffic is no component's to touch.
 */
export function assertTrustRootUngranted(servers: ServerSpec[]): void {
  for (const server of servers) {
    for (const grant of server.grants) {
      for (const pattern of [...grant.publish, ...grant.subscribe]) {
        if (patternsOverlap(pattern, subjects.trustRootAll)) {
          throw new Error(
            `grant ${pattern} of ${grant.identity} on ${server.name} reaches the trust root`,
          )
        }
      }
    }
  }
}

/** The servers an identity connects to, in the order of the request path. */
export function serversOf(topology: Topology, identity: string): ServerSpec[] {
  return topology.servers.filter((s) => s.grants.some((g) => g.identity === identity))
}

export function serverUrl(topology: Topology, server: BusName): string {
  const spec = topology.servers.find((s) => s.name === server)
  if (!spec) throw new Error(`no server ${server} in the ${topology.mode} topology`)
  return `nats://${topology.host}:${spec.port}`
}
