/**
 * The pod generated for `bus.nodes: 3`: one service per nats-server node, each stage waiting
 * for every node of the buses it uses, the link's WebSocket listener published on each node.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { REPO_ROOT } from '../cli/root.js'
import { NATS_ENTRY } from './image.js'
import { natsService, podCompose, POD_SERVICE } from './compose.js'

const dir = mkdtempSync(join(tmpdir(), 'portcullis-pod-cluster-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

const raw = JSON.parse(readFileSync(join(REPO_ROOT, 'portcullis.config.json'), 'utf8')) as {
  upstreams: Record<string, { openapi: string }>
  bus?: object
}
for (const u of Object.values(raw.upstreams)) u.openapi = join(REPO_ROOT, u.openapi)
const configFile = join(dir, 'portcullis.config.json')
writeFileSync(configFile, JSON.stringify({ ...raw, bus: { ...raw.bus, nodes: 3 } }))
const compose = podCompose({ configFile, composeDir: dir, repoRoot: REPO_ROOT })

describe('the pod with three nodes per bus', () => {
  const buses = ['link', 'dreq', 'creq', 'dresp', 'cresp']
  const nodes = buses.flatMap((b) => [1, 2, 3].map((i) => `${b}.${i}`))

  it('runs every node of every bus as its own service, with its own store volume', () => {
    for (const node of nodes) {
      const service = compose.services[natsService(node)]
      expect(service?.command, node).toEqual([
        'sh',
        NATS_ENTRY,
        '--config',
        expect.any(String),
        '--server',
        node,
      ])
      expect(compose.volumes[natsService(node)]).toEqual({})
    }
    expect(compose.services['nats-dreq']).toBeUndefined()
  })

  it('makes each stage wait for every node of each bus it uses', () => {
    const waits = Object.keys(compose.services['request-validator']?.depends_on ?? {})
    for (const node of ['dreq.1', 'dreq.2', 'dreq.3', 'creq.1', 'creq.2', 'creq.3', 'cresp.3'])
      expect(waits).toContain(natsService(node))
    expect(waits.some((w) => w.startsWith('nats-link'))).toBe(false)
  })

  it('stops a link node in lame duck mode, with time for its 30 s duration; other nodes as usual', () => {
    for (const node of ['link.1', 'link.2', 'link.3']) {
      expect(compose.services[natsService(node)], node).toMatchObject({
        stop_signal: 'SIGUSR2',
        stop_grace_period: '35s',
      })
    }
    expect(compose.services[natsService('dreq.1')]?.stop_signal).toBeUndefined()
  })

  it("publishes the link's WebSocket listener of each node, on loopback only", () => {
    const ports = compose.services[POD_SERVICE]!.ports!
    expect(ports.map((p) => [p.target, p.host_ip])).toEqual([
      [7421, '127.0.0.1'],
      [7431, '127.0.0.1'],
      [7441, '127.0.0.1'],
    ])
  })
})
