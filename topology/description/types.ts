/**
 * The shapes of a topology description: buses, the nats-servers that carry them, streams,
 * consumers, identities and grants (docs/glossary.md names each).
 */
import type { BusName } from '../../core/index.js'
import type { Config, TopologyMode } from '../../config/index.js'

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
export interface BusSpec {
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
  /** The bus that holds the stream. */
  bus: BusName
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
  buses: BusSpec[]
  streams: StreamSpec[]
  identities: Identity[]
}

/** What the topology is described from: the config's edge ids, upstream hosts and buses. */
export type TopologyConfig = Pick<Config, 'topology' | 'upstreams'> & {
  /** The bus keys the description reads; the rest may be given (tests build it by hand). */
  bus: Pick<Config['bus'], 'host' | 'nodes' | 'ports' | 'cluster'> & Partial<Config['bus']>
  edge: Pick<Config['edge'], 'id'> & Partial<Pick<Config['edge'], 'peers'>>
} & Partial<Pick<Config, 'deployment' | 'link'>>
