/**
 * The one topology description: which servers exist, which streams and consumers they
 * hold, which identities exist, and exactly what each identity may publish and subscribe
 * on each server. Server configs, stream provisioning, component connections and the
 * permission tests are all generated from this; nothing is written by hand per deployment.
 */
import { edgeIdentity, patternsOverlap, subjects, type BusName } from '../core/index.js'
import { ConfigError, type Config, type TopologyMode } from '../config/index.js'

export type ComponentKind =
  'edge' | 'relay' | 'request-validator' | 'backend' | 'response-validator' | 'audit-sink' | 'admin'

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

/**
 * One bus: an account of its own, on the nats-server `server` names. In the `isolated` and
 * `single-validation` topologies every bus has a server of its own; in `single-nats` all
 * share one server and are isolated by account.
 */
export interface ServerSpec {
  name: BusName
  /** The nats-server process that carries this bus (`natsServersOf`). */
  server: string
  port: number
  websocketPort?: number
  jetstream: boolean
  grants: Grant[]
}

/** One nats-server process and the buses (accounts) it carries. */
export interface NatsServerSpec {
  name: string
  port: number
  websocketPort?: number
  jetstream: boolean
  buses: BusName[]
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
  /** `data`: the request path's stream of that bus; `audit`: its audit events. */
  kind: 'data' | 'audit'
  subjects: string[]
  consumers: ConsumerSpec[]
}

export interface Topology {
  mode: TopologyMode
  host: string
  /** Every bus of this mode, in the order of the request path. */
  servers: ServerSpec[]
  streams: StreamSpec[]
  identities: Identity[]
}

export const ADMIN = 'admin'
export const AUDIT_SINK = 'audit-sink'
export const AUDIT_STREAM = 'AUDIT'

/** Inbox prefix of an identity: replies to its requests (JetStream acks, fetches) land here. */
export function inboxPrefixOf(identity: string): string {
  return `_i.${identity}`
}

export function backendIdentity(host: string): string {
  return `backend-${host}`
}

export { edgeIdentity }

const DATA_STREAMS = {
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

/** Who publishes and who reads on each bus of one mode: the design's table, as data. */
interface Layout {
  buses: BusName[]
  identities: Identity[]
  /** Data-stream consumers per bus. */
  consumers: Partial<Record<BusName, ConsumerSpec[]>>
  /** Publish rights per bus and identity, beyond fetch/ack on its own consumers. */
  publishes: Partial<Record<BusName, Array<[identity: string, subjects: string[]]>>>
  /** The one bus each identity writes its audit events to. */
  auditBus: Map<string, BusName>
}

function layoutOf(mode: TopologyMode, edges: string[], hosts: string[]): Layout {
  const edgeIds: Identity[] = edges.map((edgeId) => ({
    id: edgeIdentity(edgeId),
    kind: 'edge',
    edgeId,
  }))
  const backends: Identity[] = hosts.map((host) => ({
    id: backendIdentity(host),
    kind: 'backend',
    host,
  }))
  const backendConsumer = (host: string, filter: string): ConsumerSpec => ({
    name: backendIdentity(host),
    filter,
    identity: backendIdentity(host),
  })
  const relayConsumer = { name: 'relay', filter: subjects.cleanResponseAll, identity: 'relay' }
  const auditBus = new Map<string, BusName>(edgeIds.map((e) => [e.id, 'link']))
  auditBus.set('relay', 'dreq')

  if (mode === 'single-validation') {
    // The backend connector validates: dirty requests in, clean responses out, two buses.
    for (const b of backends) auditBus.set(b.id, 'dreq')
    return {
      buses: ['link', 'dreq', 'cresp'],
      identities: [...edgeIds, { id: 'relay', kind: 'relay' }, ...backends],
      consumers: {
        dreq: hosts.map((h) => backendConsumer(h, subjects.dirtyRequestForHost(h))),
        cresp: [relayConsumer],
      },
      publishes: {
        dreq: [['relay', [subjects.dirtyRequestAll]]],
        cresp: hosts.map((h) => [backendIdentity(h), [subjects.cleanResponse('backend', h)]]),
      },
      auditBus,
    }
  }
  auditBus.set('request-validator', 'dreq')
  for (const b of backends) auditBus.set(b.id, 'creq')
  auditBus.set('response-validator', 'dresp')
  return {
    buses: ['link', 'dreq', 'creq', 'dresp', 'cresp'],
    identities: [
      ...edgeIds,
      { id: 'relay', kind: 'relay' },
      { id: 'request-validator', kind: 'request-validator' },
      ...backends,
      { id: 'response-validator', kind: 'response-validator' },
    ],
    consumers: {
      dreq: [
        {
          name: 'request-validator',
          filter: subjects.dirtyRequestAll,
          identity: 'request-validator',
        },
      ],
      creq: hosts.map((h) => backendConsumer(h, subjects.cleanRequest(h))),
      dresp: [
        {
          name: 'response-validator',
          filter: subjects.dirtyResponseAll,
          identity: 'response-validator',
        },
      ],
      cresp: [relayConsumer],
    },
    publishes: {
      dreq: [['relay', [subjects.dirtyRequestAll]]],
      creq: [['request-validator', [subjects.cleanRequestAll]]],
      dresp: hosts.map((h) => [backendIdentity(h), [subjects.dirtyResponse(h)]]),
      cresp: [
        ['request-validator', [subjects.cleanResponseOf('request-validator')]],
        ['response-validator', [subjects.cleanResponseOf('response-validator')]],
      ],
    },
    auditBus,
  }
}

export function describeTopology(config: TopologyConfig): Topology {
  const hosts = Object.keys(config.upstreams).sort()
  const peers = config.edge.peers ?? []
  if (peers.includes(config.edge.id)) {
    throw new ConfigError('edge.peers', `edge ${config.edge.id} is this deployment's own edge id`)
  }
  // Each edge deployment is its own identity, pinned to its own request subject and inbox.
  const edges = [config.edge.id, ...peers]
  const mode = config.topology
  const layout = layoutOf(mode, edges, hosts)
  const identities: Identity[] = [
    ...layout.identities,
    { id: AUDIT_SINK, kind: 'audit-sink' },
    { id: ADMIN, kind: 'admin' },
  ]

  // Every bus keeps an audit stream (the link too: the edge's refusals ride on it); the data
  // streams are the request path's.
  const streams: StreamSpec[] = layout.buses.flatMap((bus): StreamSpec[] => {
    const audit: StreamSpec = {
      server: bus,
      name: AUDIT_STREAM,
      kind: 'audit',
      subjects: [subjects.auditAll],
      consumers: [{ name: AUDIT_SINK, filter: subjects.auditAll, identity: AUDIT_SINK }],
    }
    if (bus === 'link') return [audit]
    const data = DATA_STREAMS[bus]
    return [
      {
        server: bus,
        name: data.name,
        kind: 'data',
        subjects: [...data.subjects],
        consumers: layout.consumers[bus] ?? [],
      },
      audit,
    ]
  })

  const consumerGrant = (bus: BusName, identity: string): string[] =>
    streams
      .filter((s) => s.server === bus)
      .flatMap((s) =>
        s.consumers
          .filter((c) => c.identity === identity)
          .flatMap((c) => consumerRights(s.name, c.name)),
      )
  const inbox = (identity: string) => [`${inboxPrefixOf(identity)}.>`]

  const grantsOn = (bus: BusName): Grant[] => {
    const grants = new Map<string, Grant>()
    const grantOf = (identity: string): Grant => {
      let g = grants.get(identity)
      if (!g) grants.set(identity, (g = { identity, publish: [], subscribe: inbox(identity) }))
      return g
    }
    if (bus === 'link') {
      // Core NATS on the link: the edge's requests and the relay's answers.
      for (const edgeId of edges) {
        grants.set(edgeIdentity(edgeId), {
          identity: edgeIdentity(edgeId),
          publish: [subjects.linkRequest(edgeId)],
          subscribe: [`${subjects.linkInbox(edgeId)}.>`],
          websocketOnly: true,
        })
      }
      grants.set('relay', {
        identity: 'relay',
        publish: [subjects.linkInboxAll],
        subscribe: [subjects.linkRequestAll],
      })
    }
    for (const [identity, publish] of layout.publishes[bus] ?? []) {
      grantOf(identity).publish.push(...publish)
    }
    for (const stream of streams.filter((s) => s.server === bus && s.kind === 'data')) {
      for (const c of stream.consumers)
        grantOf(c.identity).publish.push(...consumerRights(stream.name, c.name))
    }
    for (const [identity, auditBus] of layout.auditBus) {
      if (auditBus === bus) grantOf(identity).publish.push(subjects.audit(identity))
    }
    // The sink reads every bus's audit stream and writes nothing onto any bus.
    grantOf(AUDIT_SINK).publish.push(...consumerGrant(bus, AUDIT_SINK))
    grants.set(ADMIN, { identity: ADMIN, publish: ['$JS.API.>'], subscribe: inbox(ADMIN) })
    return [...grants.values()]
  }

  const ports = config.bus.ports
  const BUS_PORTS: Record<BusName, number> = {
    link: ports.link,
    dreq: ports.dreq,
    creq: ports.creq,
    dresp: ports.dresp,
    cresp: ports.cresp,
  }
  const servers: ServerSpec[] = layout.buses.map((bus) => {
    // single-nats: one server, on the link's ports, carries every bus as an account.
    const shared = mode === 'single-nats'
    const spec: ServerSpec = {
      name: bus,
      server: shared ? 'nats' : bus,
      port: shared ? ports.link : BUS_PORTS[bus],
      jetstream: true,
      grants: grantsOn(bus),
    }
    if (bus === 'link') spec.websocketPort = ports.linkWebsocket
    return spec
  })

  assertTrustRootUngranted(servers)
  return { mode, host: config.bus.host, servers, streams, identities }
}

/** The nats-server processes of a topology, each with the buses (accounts) it carries. */
export function natsServersOf(topology: Pick<Topology, 'servers'>): NatsServerSpec[] {
  const byName = new Map<string, NatsServerSpec>()
  for (const bus of topology.servers) {
    const have = byName.get(bus.server)
    if (!have) {
      byName.set(bus.server, {
        name: bus.server,
        port: bus.port,
        ...(bus.websocketPort === undefined ? {} : { websocketPort: bus.websocketPort }),
        jetstream: bus.jetstream,
        buses: [bus.name],
      })
      continue
    }
    if (have.port !== bus.port) throw new Error(`server ${bus.server}: buses on different ports`)
    have.buses.push(bus.name)
    have.jetstream ||= bus.jetstream
    if (bus.websocketPort !== undefined) have.websocketPort = bus.websocketPort
  }
  return [...byName.values()]
}

/** The nats-server process that carries `bus`. */
export function natsServerOf(topology: Pick<Topology, 'servers'>, bus: BusName): NatsServerSpec {
  const spec = natsServersOf(topology).find((s) => s.buses.includes(bus))
  if (!spec) throw new Error(`no bus ${bus} in the topology`)
  return spec
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
  if (!spec) throw new Error(`no ${server} bus in the ${topology.mode} topology`)
  return `nats://${topology.host}:${spec.port}`
}

/** The one bus on which `identity` may publish its audit events (its grant says which). */
export function auditBusOf(topology: Pick<Topology, 'servers'>, identity: string): BusName {
  const subject = subjects.audit(identity)
  const spec = topology.servers.find((s) =>
    s.grants.some((g) => g.identity === identity && g.publish.includes(subject)),
  )
  if (!spec) throw new Error(`identity ${identity} may publish audit events on no bus`)
  return spec.name
}
