/**
 * Who may read and write what, as a table: one row per (bus, identity) grant of the topology
 * description, with the consumers that identity fetches from on that bus and the connection
 * type it is pinned to. `portcullis topology --json` prints it (as `accessTableJson` spells
 * it); access-table-render.ts makes the text and Markdown (docs/topology.md) of it.
 */
import type { BusName } from '../../core/index.js'
import { serverUrl, serverUrls } from './bus-urls.js'
import { busesOf } from './identity-buses.js'
import type { ComponentKind, Topology } from './types.js'

export type AccessConnection = 'websocket' | 'standard'

export interface ConsumerAccess {
  stream: string
  consumer: string
  filter: string
}

export interface AccessRow {
  bus: BusName
  identity: string
  /** Undefined when the grant names an identity the description does not list. */
  kind: ComponentKind | undefined
  connection: AccessConnection
  publish: string[]
  subscribe: string[]
  /** The durable consumers on this bus that this identity alone fetches from and acks. */
  fetches: ConsumerAccess[]
}

export interface BusSummary {
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
  /** The buses it holds a grant on, in the order of the request path; empty when none. */
  buses: BusName[]
}

export interface AccessTable {
  mode: Topology['mode']
  buses: BusSummary[]
  identities: IdentitySummary[]
  rows: AccessRow[]
}

export function accessTable(topology: Topology): AccessTable {
  const kinds = new Map(topology.identities.map((i) => [i.id, i.kind]))
  const buses = topology.buses.map((b): BusSummary => ({
    name: b.name,
    url: serverUrl(topology, b.name),
    ...(b.websocketPort !== undefined && {
      websocketUrl: `ws://${topology.host}:${b.websocketPort}`,
    }),
    ...(b.ports.length > 1 && { nodeUrls: serverUrls(topology, b.name) }),
    ...(b.ports.length > 1 &&
      b.websocketPorts !== undefined && {
        nodeWebsocketUrls: b.websocketPorts.map((p) => `ws://${topology.host}:${p}`),
      }),
    jetstream: b.jetstream,
    streams: topology.streams
      .filter((st) => st.bus === b.name)
      .map((st) => ({
        name: st.name,
        subjects: [...st.subjects],
        consumers: st.consumers.map((c) => ({ ...c })),
      })),
  }))
  const identities = topology.identities.map((i): IdentitySummary => ({
    id: i.id,
    kind: i.kind,
    buses: busesOf(topology, i.id).map((b) => b.name),
  }))
  const rows = topology.buses.flatMap((b) =>
    b.grants.map((g): AccessRow => ({
      bus: b.name,
      identity: g.identity,
      kind: kinds.get(g.identity),
      connection: g.websocketOnly ? 'websocket' : 'standard',
      publish: [...g.publish],
      subscribe: [...g.subscribe],
      fetches: topology.streams
        .filter((st) => st.bus === b.name)
        .flatMap((st) =>
          st.consumers
            .filter((c) => c.identity === g.identity)
            .map((c) => ({ stream: st.name, consumer: c.name, filter: c.filter })),
        ),
    })),
  )
  return { mode: topology.mode, buses, identities, rows }
}

/**
 * The table as `portcullis topology --json` prints it. Scripts read these keys, which name a
 * bus `server` (`servers`: the buses; `server` in a row: its bus key), so they stay.
 */
export interface AccessTableJson {
  mode: Topology['mode']
  servers: BusSummary[]
  identities: Array<Omit<IdentitySummary, 'buses'> & { servers: BusName[] }>
  rows: Array<Omit<AccessRow, 'bus'> & { server: BusName }>
}

export function accessTableJson(table: AccessTable): AccessTableJson {
  return {
    mode: table.mode,
    servers: table.buses,
    identities: table.identities.map(({ buses, ...i }) => ({ ...i, servers: buses })),
    rows: table.rows.map(({ bus, ...row }) => ({ server: bus, ...row })),
  }
}
