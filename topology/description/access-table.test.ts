import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { parseConfig } from '../../config/index.js'
import { accessTable } from './access-table.js'
import { renderAccessMarkdown, renderAccessText } from './access-table-render.js'
import { describeTopology } from './describe.js'
import type { Topology } from './types.js'

const ROOT = fileURLToPath(new URL('../..', import.meta.url))
const upstream = (port: number) => ({
  baseUrl: `http://127.0.0.1:${port}`,
  openapi: 'demo/openapi.json',
})

function topologyOf(upstreams: Record<string, unknown>): Topology {
  return describeTopology(parseConfig({ upstreams }, `${ROOT}portcullis.config.json`))
}

const topology = topologyOf({ demo: upstream(8790), shop: upstream(8791) })
const table = accessTable(topology)

describe('accessTable', () => {
  it("has one row per grant, with the grant's subjects unchanged", () => {
    const grants = topology.buses.flatMap((b) => b.grants.map((g) => ({ bus: b.name, g })))
    expect(table.rows).toHaveLength(grants.length)
    for (const { bus, g } of grants) {
      const rows = table.rows.filter((r) => r.bus === bus && r.identity === g.identity)
      expect(rows).toHaveLength(1)
      expect(rows[0]).toMatchObject({
        publish: g.publish,
        subscribe: g.subscribe,
        connection: g.websocketOnly ? 'websocket' : 'standard',
      })
    }
  })

  it('puts every consumer in the row of the identity that fetches from it, on its bus', () => {
    for (const stream of topology.streams) {
      for (const c of stream.consumers) {
        const holders = table.rows.filter((r) =>
          r.fetches.some(
            (f) => f.stream === stream.name && f.consumer === c.name && r.bus === stream.bus,
          ),
        )
        expect(holders.map((r) => [r.bus, r.identity])).toEqual([[stream.bus, c.identity]])
      }
    }
    const backends = table.rows.filter((r) => r.kind === 'backend' && r.bus === 'creq')
    expect(backends.map((r) => r.fetches)).toEqual([
      [{ stream: 'CREQ', consumer: 'backend-demo', filter: 'pc.creq.demo' }],
      [{ stream: 'CREQ', consumer: 'backend-shop', filter: 'pc.creq.shop' }],
    ])
  })

  it('lists every identity with the buses it holds a grant on', () => {
    expect(table.identities.map((i) => i.id)).toEqual(topology.identities.map((i) => i.id))
    expect(table.identities.find((i) => i.id === 'edge-local')?.buses).toEqual(['link'])
    expect(table.buses.find((s) => s.name === 'link')?.websocketUrl).toBe('ws://127.0.0.1:7421')
  })
})

describe('renderAccessText', () => {
  const text = renderAccessText(table)
  const lines = text.split('\n')

  it('shows every identity and every subject of every grant', () => {
    for (const row of table.rows) {
      for (const subject of [...row.publish, ...row.subscribe]) expect(text).toContain(subject)
    }
    for (const i of topology.identities) expect(text).toContain(i.id)
  })

  it('aligns the columns and leaves no trailing space', () => {
    const headers = lines.filter((l) => l.trimStart().startsWith('identity '))
    expect(headers).toHaveLength(topology.buses.length)
    expect(new Set(headers).size).toBe(1)
    const column = headers[0]!.indexOf('may publish')
    for (const row of table.rows.filter((r) => r.publish.length > 1)) {
      for (const subject of row.publish) {
        const at = lines.find((l) => l.includes(` ${subject} `) || l.endsWith(` ${subject}`))!
        expect(at.indexOf(` ${subject}`) + 1).toBe(column)
      }
    }
    expect(lines.filter((l) => l !== l.trimEnd())).toEqual([])
  })

  it('names identities that hold no grant', () => {
    const extra: Topology = {
      ...topology,
      identities: [...topology.identities, { id: 'audit', kind: 'admin' }],
    }
    expect(renderAccessText(accessTable(extra))).toContain('no grant on any bus: audit\n')
  })
})

describe('renderAccessMarkdown', () => {
  const markdown = renderAccessMarkdown(table, 'Generated.')

  it('has a table per bus with a row per grant, and a row per stream', () => {
    for (const bus of table.buses) expect(markdown).toContain(`\n## ${bus.name}\n`)
    const rows = markdown
      .split('\n')
      .filter((l) => /^\| `[^`]+` \| (WebSocket|TCP) only \|/.test(l))
    expect(rows).toHaveLength(table.rows.length)
    for (const stream of topology.streams) expect(markdown).toContain(`| \`${stream.name}\` |`)
    expect(markdown).toContain('# Topology: isolated\n\nGenerated.\n')
  })

  it('escapes a pipe so a subject cannot break out of its cell', () => {
    const odd = accessTable({
      ...topology,
      buses: [
        {
          ...topology.buses[0]!,
          grants: [{ identity: 'x', publish: ['a|b'], subscribe: ['c'] }],
        },
      ],
    })
    expect(renderAccessMarkdown(odd)).toContain('`a\\|b`')
  })
})

describe('a clustered topology', () => {
  const clustered = describeTopology(
    parseConfig(
      { upstreams: { demo: upstream(8790) }, bus: { nodes: 3 } },
      `${ROOT}portcullis.config.json`,
    ),
  )
  const summary = accessTable(clustered)

  it('lists every node of every bus, the link’s WebSocket listeners included', () => {
    for (const s of summary.buses) expect(s.nodeUrls).toHaveLength(3)
    expect(summary.buses.find((s) => s.name === 'link')?.nodeWebsocketUrls).toHaveLength(3)
    const text = renderAccessText(summary)
    expect(text.split('\n')[0]).toMatch(/5 buses on 15 nats-servers/)
    for (const url of summary.buses.flatMap((s) => s.nodeUrls ?? [])) expect(text).toContain(url)
  })
})
