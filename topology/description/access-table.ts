/**
 * Who may read and write what, as a table: one row per (bus, identity) grant of the topology
 * description, with the consumers that identity fetches from on that bus and the connection
 * type it is pinned to. `portcullis topology --json` prints it; access-table-render.ts makes
 * the text and Markdown (docs/topology.md) of it. (`server`/`servers` in its fields name
 * buses, as in the description: docs/glossary.md.)
 */
import type { BusName } from '../../core/index.js'
import { serverUrl, serverUrls } from './bus-urls.js'
import { serversOf } from './identity-buses.js'
import type { ComponentKind, Topology } from './types.js'

export type AccessConnection = 'websocket' | 'standard'

export interface ConsumerAccess {
  stream: string
  consumer: string
  filter: string
}

export interface AccessRow {
  server: BusName
  identity: string
  /** Undefined when the grant names an identity the description does not list. */
  kind: ComponentKind | undefined
  connection: AccessConnection
  publish: string[]
  subscribe: string[]
  /** The durable consumers on this server that this identity alone fetches from and acks. */
  fetches: ConsumerAccess[]
}

export interface ServerSummary {
  name: BusName
  /** The first node's client URL (the only one on a single-node bus). */
  url: string
  websocketUrl?: string
  /** Every node's client URL, and WebSocket URL, when the bus is a cluster. */
  nodeUrls?: string[]
  nodeWebsocketUrls?: string[]
  jetstream: boolean
  streams: Array<{
    name: string
    subjects: string[]
    consumers: Array<{ name: string; filter: string; identity: string }>
  }>
}

export interface IdentitySummary {
  id: string
  kind: ComponentKind
  /** The servers it holds a grant on, in the order of the request path; empty when none. */
  servers: BusName[]
}

export interface AccessTable {
  mode: Topology['mode']
  servers: ServerSummary[]
  identities: IdentitySummary[]
  rows: AccessRow[]
}

export function accessTable(topology: Topology): AccessTable {
  const kinds = new Map(topology.identities.map((i) => [i.id, i.kind]))
  const servers = topology.servers.map((s): ServerSummary => ({
    name: s.name,
    url: serverUrl(topology, s.name),
    ...(s.websocketPort !== undefined && {
      websocketUrl: `ws://${topology.host}:${s.websocketPort}`,
    }),
    ...(s.ports.length > 1 && { nodeUrls: serverUrls(topology, s.name) }),
    ...(s.ports.length > 1 &&
      s.websocketPorts !== undefined && {
        nodeWebsocketUrls: s.websocketPorts.map((p) => `ws://${topology.host}:${p}`),
      }),
    jetstream: s.jetstream,
    streams: topology.streams
      .filter((st) => st.server === s.name)
      .map((st) => ({
        name: st.name,
        subjects: [...st.subjects],
        consumers: st.consumers.map((c) => ({ ...c })),
      })),
  }))
  const identities = topology.identities.map((i): IdentitySummary => ({
    id: i.id,
    kind: i.kind,
    servers: serversOf(topology, i.id).map((s) => s.name),
  }))
  const rows = topology.servers.flatMap((s) =>
    s.grants.map((g): AccessRow => ({
      server: s.name,
      identity: g.identity,
      kind: kinds.get(g.identity),
      connection: g.websocketOnly ? 'websocket' : 'standard',
      publish: [...g.publish],
      subscribe: [...g.subscribe],
      fetches: topology.streams
        .filter((st) => st.server === s.name)
        .flatMap((st) =>
          st.consumers
            .filter((c) => c.identity === g.identity)
            .map((c) => ({ stream: st.name, consumer: c.name, filter: c.filter })),
        ),
    })),
  )
  return { mode: topology.mode, servers, identities, rows }
}
