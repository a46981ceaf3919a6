/**
 * A rolling restart of clustered bus nodes (`bus.nodes: 3`) under load: each node hands over
 * the streams and consumers it leads before it stops, and the next one goes only once it has
 * caught up (topology/actions/handover.ts). Restarting nodes back to back without that leaves two of
 * three behind at once: no quorum, and every publish waits until the deadline.
 */
import { afterAll, beforeAll, expect, it } from 'vitest'
import type { NatsConnection } from '@nats-io/nats-core'
import { jetstreamManager } from '@nats-io/jetstream'
import { startEphemeralStack, type EphemeralStack } from '../../cli/ephemeral.js'
import { connectAs } from '../../bus/index.js'
import { ADMIN, natsNodesOf, peerNameOf } from '../../topology/index.js'
import { connectLinkWebsocket } from '../harness/buses.js'
import { getThroughLink } from '../harness/link-get.js'

const SLOW = 300_000

let stack: EphemeralStack
let link: NatsConnection
/** Why requests got no answer, as the link client saw it. */
const errors: string[] = []
/** The stack's warnings and errors, and each node's turn in the rolling restart. */
const lines: string[] = []

beforeAll(async () => {
  stack = await startEphemeralStack(
    { bus: { nodes: 3 } },
    {
      edge: false,
      // Kept for a failure's message: which stage answered what, and why.
      onLine: (component, line) => {
        if (
          /^(warn|error)|BUS_UNAVAILABLE|dead.letter|rolling-restart|handed-over|caught/.test(line)
        )
          lines.push(`${new Date().toISOString().slice(11, 23)} ${component} | ${line}`)
      },
    },
  )
  const edge = stack.topology.identities.find((i) => i.kind === 'edge')!
  link = await connectLinkWebsocket(
    { topology: stack.topology, keysDir: stack.config.paths.keys },
    edge.id,
  )
}, SLOW)

afterAll(async () => {
  await link?.close().catch(() => undefined)
  await stack?.dispose()
})

async function get(): Promise<number> {
  const answer = await getThroughLink(link, stack.config.edge.id, { timeoutMs: 20_000 })
  if (answer.error) errors.push(answer.error)
  if (answer.code) errors.push(`${answer.status} ${answer.code}`)
  return answer.status
}

it(
  'CLUS-010 a rolling restart of the request buses’ nodes under load fails no request: each node hands its leaders over and catches up before the next goes',
  async () => {
    // The buses come up electing: wait until the path answers.
    const until = Date.now() + 60_000
    while ((await get()) !== 200 && Date.now() < until) await new Promise((r) => setTimeout(r, 250))
    // The link's nodes are the edge's concern (EDGE-312): this test's client is on one.
    const nodes = [...natsNodesOf(stack.topology, 'dreq'), ...natsNodesOf(stack.topology, 'creq')]
    const statuses: number[] = []
    let rolling = true
    const load = Array.from({ length: 4 }, async () => {
      while (rolling) {
        statuses.push(await get())
        await new Promise((r) => setTimeout(r, 10))
      }
    })
    const started = Date.now()
    try {
      await stack.rollingRestart({
        include: (p) => nodes.some((n) => `nats-${n.name}` === p.name),
      })
    } catch (e) {
      // A node that never caught up (BUS_NOT_READY): what the stack said meanwhile.
      console.log(lines.slice(-80).join('\n'))
      throw e
    } finally {
      rolling = false
      await Promise.all(load)
    }
    console.log(
      `rolling restart of ${nodes.length} nodes: ${Date.now() - started} ms, ${statuses.length} requests`,
    )
    expect(statuses.length).toBeGreaterThan(0)
    console.log(lines.filter((l) => /handed-over|caught-up/.test(l)).join('\n'))
    console.log(`first errors: ${[...new Set(errors)].slice(0, 5).join(' | ')}`)
    if (errors.length) console.log(lines.slice(-80).join('\n'))
    const codes: Record<number, number> = {}
    for (const s of statuses) codes[s] = (codes[s] ?? 0) + 1
    expect(codes).toEqual({ 200: statuses.length })
    // Every node is back as a current replica of every stream on its bus.
    const nc = await connectAs({
      topology: stack.topology,
      keysDir: stack.config.paths.keys,
      identity: ADMIN,
      bus: 'dreq',
    })
    try {
      const jsm = await jetstreamManager(nc, { checkAPI: false })
      for await (const si of jsm.streams.list()) {
        const peers = [si.cluster?.leader, ...(si.cluster?.replicas ?? []).map((r) => r.name)]
        expect(peers.sort()).toEqual(natsNodesOf(stack.topology, 'dreq').map(peerNameOf).sort())
      }
    } finally {
      await nc.close()
    }
  },
  SLOW,
)
