/**
 * The access table as a terminal table (`portcullis topology`) or Markdown (docs/topology.md):
 * one block per bus, one row per grant.
 */
import type {
  AccessConnection,
  AccessRow,
  AccessTable,
  BusSummary,
  ConsumerAccess,
} from './access-table.js'

const CONNECTION_LABEL: Record<AccessConnection, string> = {
  websocket: 'WebSocket only',
  standard: 'TCP only',
}

function fetchLabel(f: ConsumerAccess): string {
  return `${f.stream}/${f.consumer} (${f.filter})`
}

function busLine(s: BusSummary, quote = (text: string) => text): string {
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
  return table.identities.filter((i) => i.buses.length === 0).map((i) => i.id)
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

/** A terminal table: one block per bus, one subject per line within a cell. */
export function renderAccessText(table: AccessTable): string {
  const widths = HEADINGS.map((h) => h.length)
  for (const row of table.rows) {
    cellsOf(row).forEach((cell, i) => {
      for (const line of cell) widths[i] = Math.max(widths[i]!, line.length)
    })
  }
  const line = (cells: string[]) =>
    `  ${cells.map((c, i) => c.padEnd(widths[i]!)).join('  ')}`.trimEnd()
  const processes = new Set(table.buses.flatMap((b) => b.nodeUrls ?? [b.url])).size
  const out = [
    `${table.mode} topology: ${table.buses.length} buses on ${processes} nats-server${processes === 1 ? '' : 's'}, ${table.identities.length} identities`,
  ]
  for (const bus of table.buses) {
    out.push('', `${bus.name}: ${busLine(bus)}`, line(HEADINGS))
    for (const row of table.rows.filter((r) => r.bus === bus.name)) {
      const cells = cellsOf(row)
      const height = Math.max(...cells.map((c) => c.length))
      for (let i = 0; i < height; i++) out.push(line(cells.map((c) => c[i] ?? '')))
    }
  }
  const none = ungranted(table)
  if (none.length) out.push('', `no grant on any bus: ${none.join(', ')}`)
  return `${out.join('\n')}\n`
}

function tableRow(cells: string[]): string {
  return `| ${cells.join(' | ')} |`
}

function code(values: string[]): string {
  return values.map((v) => `\`${v.replaceAll('|', '\\|')}\``).join('<br>')
}

/** Markdown for docs: identities, then one table per bus, then the streams. */
export function renderAccessMarkdown(table: AccessTable, note?: string): string {
  const out = [`# Topology: ${table.mode}`, '']
  if (note) out.push(note, '')
  out.push(
    'Who may read and write what on each bus. Every grant is an allow-list the server',
    'enforces; anything not in a row is refused.',
    '',
    '## Identities',
    '',
    '| identity | kind | buses |',
    '| --- | --- | --- |',
    ...table.identities.map((i) => `| \`${i.id}\` | ${i.kind} | ${i.buses.join(', ') || 'none'} |`),
  )
  for (const bus of table.buses) {
    out.push(
      '',
      `## ${bus.name}`,
      '',
      busLine(bus, (text) => `\`${text}\``),
      '',
      tableRow(HEADINGS),
      `|${' --- |'.repeat(HEADINGS.length)}`,
    )
    for (const row of table.rows.filter((r) => r.bus === bus.name)) {
      const [identity, connection, ...lists] = cellsOf(row)
      out.push(tableRow([code(identity!), connection![0]!, ...lists.map(code)]))
    }
  }
  const streams = table.buses.flatMap((b) => b.streams.map((st) => ({ bus: b.name, ...st })))
  if (streams.length) {
    out.push(
      '',
      '## Streams',
      '',
      '| stream | bus | subjects | consumers | filters | fetched by |',
      '| --- | --- | --- | --- | --- | --- |',
      ...streams.map((st) =>
        tableRow([
          `\`${st.name}\``,
          st.bus,
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
