/**
 * Who may read and write what, as a table: one row per (server, identity) grant of the
 * topology description, with the consumers that identity fetches from on that server and
 * the connection type it is pinned to. Pure: it reads a Topology and renders plain text or
 * Markdown; `portcullis topology` and docs/topology.md are both made from it.
 */
import type { BusName } from '../core/index.js'
import { serverUrl, serverUrls, serversOf, type ComponentKind, type Topology } from './describe.js'

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

const CONNECTION_LABEL: Record<AccessConnection, string> = {
  websocket: 'WebSocket only',
  standard: 'TCP only',
}

function fetchLabel(f: ConsumerAccess): string {
  return `${f.stream}/${f.consumer} (${f.filter})`
}

function serverLine(s: ServerSummary, quote = (text: string) => text): string {
  const parts = s.nodeUrls
    ? [`${s.nodeUrls.length} nodes ${s.nodeUrls.map(quote).join(' ')}`]
    : [quote(s.url)]
  if (s.nodeWebsocketUrls) parts.push(`WebSocket ${s.nodeWebsocketUrls.map(quote).join(' ')}`)
  else if (s.websocketUrl) parts.push(`WebSocket ${quote(s.websocketUrl)}`)
  parts.push(
    s.streams.length
      ? `JetStream: ${s.streams.map((st) => `${st.name} (${st.subjects.map(quote).join(', ')})`).join(', ')}`
      : s.jetstream
        ? 'JetStream, no streams'
        : 'no JetStream',
  )
  return parts.join(', ')
}

function ungranted(table: AccessTable): string[] {
  return table.identities.filter((i) => i.servers.length === 0).map((i) => i.id)
}

const HEADINGS = ['identity', 'connection', 'may publish', 'may subscribe', 'fetches from']

function cellsOf(row: AccessRow): string[][] {
  return [
    [row.identity],
    [CONNECTION_LABEL[row.connection]],
    row.publish,
    row.subscribe,
    row.fetches.map(fetchLabel),
  ]
}

/** A terminal table: one block per server, one subject per line within a cell. */
export function renderAccessText(table: AccessTable): string {
  const widths = HEADINGS.map((h) => h.length)
  for (const row of table.rows) {
    cellsOf(row).forEach((cell, i) => {
      for (const line of cell) widths[i] = Math.max(widths[i]!, line.length)
    })
  }
  const line = (cells: string[]) =>
    `  ${cells.map((c, i) => c.padEnd(widths[i]!)).join('  ')}`.trimEnd()
  const processes = new Set(table.servers.flatMap((s) => s.nodeUrls ?? [s.url])).size
  const out = [
    `${table.mode} topology: ${table.servers.length} buses on ${processes} nats-server${processes === 1 ? '' : 's'}, ${table.identities.length} identities`,
  ]
  for (const server of table.servers) {
    out.push('', `${server.name}: ${serverLine(server)}`, line(HEADINGS))
    for (const row of table.rows.filter((r) => r.server === server.name)) {
      const cells = cellsOf(row)
      const height = Math.max(...cells.map((c) => c.length))
      for (let i = 0; i < height; i++) out.push(line(cells.map((c) => c[i] ?? '')))
    }
  }
  const none = ungranted(table)
  if (none.length) out.push('', `no grant on any server: ${none.join(', ')}`)
  return `${out.join('\n')}\n`
}

function tableRow(cells: string[]): string {
  return `| ${cells.join(' | ')} |`
}

function code(values: string[]): string {
  return values.map((v) => `\`${v.replaceAll('|', '\\|')}\``).join('<br>')
}

/** Markdown for docs: identities, then one table per server, then the streams. */
export function renderAccessMarkdown(table: AccessTable, note?: string): string {
  const out = [`# Topology: ${table.mode}`, '']
  if (note) out.push(note, '')
  out.push(
    'Who may read and write what on each bus. Every grant is an allow-list the server',
    'enforces; anything not in a row is refused.',
    '',
    '## Identities',
    '',
    '| identity | kind | servers |',
    '| --- | --- | --- |',
    ...table.identities.map(
      (i) => `| \`${i.id}\` | ${i.kind} | ${i.servers.join(', ') || 'none'} |`,
    ),
  )
  for (const server of table.servers) {
    out.push(
      '',
      `## ${server.name}`,
      '',
      serverLine(server, (text) => `\`${text}\``),
      '',
      tableRow(HEADINGS),
      `|${' --- |'.repeat(HEADINGS.length)}`,
    )
    for (const row of table.rows.filter((r) => r.server === server.name)) {
      const [identity, connection, ...lists] = cellsOf(row)
      out.push(tableRow([code(identity!), connection![0]!, ...lists.map(code)]))
    }
  }
  const streams = table.servers.flatMap((s) => s.streams.map((st) => ({ server: s.name, ...st })))
  if (streams.length) {
    out.push(
      '',
      '## Streams',
      '',
      '| stream | server | subjects | consumers | filters | fetched by |',
      '| --- | --- | --- | --- | --- | --- |',
      ...streams.map((st) =>
        tableRow([
          `\`${st.name}\``,
          st.server,
          code(st.subjects),
          code(st.consumers.map((c) => c.name)),
          code(st.consumers.map((c) => c.filter)),
          code(st.consumers.map((c) => c.identity)),
        ]),
      ),
    )
  }
  return `${out.join('\n')}\n`
}
