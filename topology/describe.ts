/**
 * The one topology description: which servers exist, which streams and consumers they
 * hold, which identities exist, and exactly what each identity may publish and subscribe
 * on each server. Server configs, stream provisioning, component connections and the
 * permission tests are all generated from this; nothing is written by hand per deployment.
 */
import { edgeIdentity, patternsOverlap, subjects, type BusName } from '../core/index.js'
import { clusterPortsOf, ConfigError, type Config, type TopologyMode } from '../config/index.js'
import { idempotencyGrants } from './idempotency.js'

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
  /** The nats-server (a process, or a cluster of three with `bus.nodes: 3`) that carries it. */
  server: string
  /** Node 1's client port; `ports` has every node's. */
  port: number
  websocketPort?: number
  /** The client port of each node: one, or three with `bus.nodes: 3`. */
  ports: number[]
  /** The WebSocket port of each node (the link). */
  websocketPorts?: number[]
  /** The route (cluster) port of each node, with `bus.nodes: 3`. */
  routePorts?: number[]
  jetstream: boolean
  grants: Grant[]
}

/** One nats-server process and the buses (accounts) it carries. */
export interface NatsServerSpec {
  /** `dreq` with `bus.nodes: 1`; `dreq.1` .. `dreq.3` with 3 (the process is `nats-<name>`). */
  name: string
  /** The server it is a node of: its buses' `server` (`dreq`, `nats` in single-nats). */
  group: string
  /** 1..3 with `bus.nodes: 3`. */
  node?: number
  port: number
  websocketPort?: number
  /** With `bus.nodes: 3`: the cluster it joins, its route port and its peers' route URLs. */
  cluster?: { name: string; port: number; routes: string[] }
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
  /** Copies kept: 1, or 3 (R3) on a three-node bus. */
  replicas: 1 | 3
  subjects: string[]
  consumers: ConsumerSpec[]
}

/**
 * The link's WebSocket listener as the edge reaches it (`link` in the config), when the config
 * says more than the default (`ws://` on `host`).
 */
export interface LinkListener {
  /** The host name in the edge's link URLs; the certificate names it. */
  publicHost: string
  /** The listener's certificate chain and key (PEM files): it serves `wss://` only. */
  tls?: { certFile: string; keyFile: string }
}

export interface Topology {
  mode: TopologyMode
  host: string
  /** Absent: the link listens for `ws://` and the edge dials `host`. */
  link?: LinkListener
  /** nats-servers per bus (`bus.nodes`). */
  nodes: 1 | 3
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
export type TopologyConfig = Pick<Config, 'topology' | 'upstreams'> & {
  /** The bus keys the description reads; the rest may be given (tests build it by hand). */
  bus: Pick<Config['bus'], 'host' | 'nodes' | 'ports' | 'cluster'> & Partial<Config['bus']>
  edge: Pick<Config['edge'], 'id'> & Partial<Pick<Config['edge'], 'peers'>>
} & Partial<Pick<Config, 'deployment' | 'link'>>

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
  const nodes = config.bus.nodes ?? 1
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
      replicas: nodes,
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
        replicas: nodes,
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
    // Each backend connector's own host's replay records (topology/idempotency.ts).
    for (const [identity, publish] of idempotencyGrants(mode, bus, hosts, backendIdentity)) {
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

  // Node 1 of every server listens on `bus.ports`; nodes 2 and 3 and the routes on the ports
  // `clusterPortsOf` gives.
  const ports = config.bus.ports
  const cluster = nodes === 3 ? clusterPortsOf(config.bus) : undefined
  const nodePorts = (key: keyof typeof ports): number[] =>
    cluster ? cluster.nodePorts[key] : [ports[key]]
  const servers: ServerSpec[] = layout.buses.map((bus) => {
    // single-nats: one server, on the link's ports, carries every bus as an account.
    const shared = mode === 'single-nats'
    const key = shared ? 'link' : bus
    const clientPorts = nodePorts(key)
    const spec: ServerSpec = {
      name: bus,
      server: shared ? 'nats' : bus,
      port: clientPorts[0]!,
      ports: clientPorts,
      jetstream: true,
      grants: grantsOn(bus),
    }
    if (cluster) spec.routePorts = cluster.routePorts[key]
    if (bus === 'link') {
      spec.websocketPorts = nodePorts('linkWebsocket')
      spec.websocketPort = spec.websocketPorts[0]!
    }
    return spec
  })

  assertTrustRootUngranted(servers)
  const link = linkListenerOf(config)
  return { mode, host: config.bus.host, ...(link && { link }), nodes, servers, streams, identities }
}

/**
 * The link listener the config asks for. In PROD the link carries every request and answer
 * between the internet's edge and the on-prem buses: without `link.tls` it is refused, unless
 * `link.allowPlaintext` says so.
 */
function linkListenerOf(config: TopologyConfig): LinkListener | undefined {
  const { tls, publicHost, allowPlaintext } = config.link ?? {}
  if (config.deployment === 'PROD' && !tls && !allowPlaintext) {
    throw new ConfigError(
      'link.tls',
      'PROD needs TLS on the link (link.tls: certFile, keyFile), or link.allowPlaintext: true',
    )
  }
  if (!tls && publicHost === undefined) return undefined
  return {
    publicHost: publicHost ?? config.bus.host,
    ...(tls && { tls: { certFile: tls.certFile, keyFile: tls.keyFile } }),
  }
}

/** The cluster name of a clustered server (`cluster.name`, also JetStream's). */
export function clusterNameOf(server: string): string {
  return `portcullis-${server}`
}

/**
 * The nats-server processes of a topology, one per node, each with the buses (accounts) it
 * carries: `dreq`, or `dreq.1` .. `dreq.3` on a three-node bus, whose nodes each list the
 * other two's route URLs (without credentials: the config renderer adds the route secret).
 */
export function natsServersOf(
  topology: Pick<Topology, 'servers'> & { host?: string },
): NatsServerSpec[] {
  const byName = new Map<string, ServerSpec & { buses: BusName[] }>()
  for (const bus of topology.servers) {
    const have = byName.get(bus.server)
    if (!have) {
      byName.set(bus.server, { ...bus, buses: [bus.name] })
      continue
    }
    if (have.ports.join() !== bus.ports.join()) {
      throw new Error(`server ${bus.server}: buses on different ports`)
    }
    have.buses.push(bus.name)
    have.jetstream ||= bus.jetstream
    if (bus.websocketPorts !== undefined) have.websocketPorts = bus.websocketPorts
  }
  const host = topology.host ?? '127.0.0.1'
  return [...byName.values()].flatMap((s): NatsServerSpec[] => {
    const node = (i: number): NatsServerSpec => {
      const spec: NatsServerSpec = {
        name: s.ports.length === 1 ? s.server : `${s.server}.${i + 1}`,
        group: s.server,
        port: s.ports[i]!,
        jetstream: s.jetstream,
        buses: [...s.buses],
      }
      if (s.websocketPorts?.[i] !== undefined) spec.websocketPort = s.websocketPorts[i]
      if (s.ports.length > 1) {
        const routes = s.routePorts
        if (routes?.length !== s.ports.length) {
          throw new Error(`server ${s.server}: ${s.ports.length} nodes need as many route ports`)
        }
        spec.node = i + 1
        spec.cluster = {
          name: clusterNameOf(s.server),
          port: routes[i]!,
          routes: routes.filter((_, j) => j !== i).map((p) => `nats-route://${host}:${p}`),
        }
      }
      return spec
    }
    return s.ports.map((_, i) => node(i))
  })
}

/** Every node (nats-server process) of the server that carries `bus`. */
export function natsNodesOf(
  topology: Pick<Topology, 'servers'> & { host?: string },
  bus: BusName,
): NatsServerSpec[] {
  const nodes = natsServersOf(topology).filter((s) => s.buses.includes(bus))
  if (!nodes.length) throw new Error(`no bus ${bus} in the topology`)
  return nodes
}

/** The nats-server process that carries `bus` (node 1 of a three-node bus). */
export function natsServerOf(
  topology: Pick<Topology, 'servers'> & { host?: string },
  bus: BusName,
): NatsServerSpec {
  return natsNodesOf(topology, bus)[0]!
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
  return serverUrls(topology, server)[0]!
}

/** The client URL of every node of the bus: what a component is given, to fail over. */
export function serverUrls(topology: Topology, server: BusName): string[] {
  const spec = topology.servers.find((s) => s.name === server)
  if (!spec) throw new Error(`no ${server} bus in the ${topology.mode} topology`)
  return spec.ports.map((p) => `nats://${topology.host}:${p}`)
}

/**
 * The link's WebSocket URL on every node: what the edge dials. `wss://<link.publicHost>` when
 * the link serves TLS, else `ws://` (on `bus.host` unless `link.publicHost` names another).
 */
export function linkWebsocketUrls(
  topology: Pick<Topology, 'servers' | 'host'> & Pick<Partial<Topology>, 'link'>,
): string[] {
  const link = topology.servers.find((s) => s.name === 'link')
  if (!link?.websocketPorts) throw new Error('the topology has no link WebSocket listener')
  const scheme = topology.link?.tls ? 'wss' : 'ws'
  const host = topology.link?.publicHost ?? topology.host
  return link.websocketPorts.map((p) => `${scheme}://${host}:${p}`)
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
