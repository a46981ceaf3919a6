/**
 * The edge on a clustered link (`bus.nodes: 3`): the worker under `wrangler dev` is given
 * every link node's websocket URL, its pool objects spread over the nodes, and a pool object
 * whose node dies reconnects to another while the worker sends its requests to the other
 * shards. This test answers on the link as the relay does, from a node it never kills.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { NatsConnection } from '@nats-io/nats-core'
import { answerLinkRequests, startBuses, type BusHarness } from '../harness/buses.js'
import { linkUrlOf, startWranglerDev, type WranglerDev } from '../harness/wrangler.js'

const DEADLINE_MS = 4_000
/** The edge is back to all-200 within this after a link node's loss, or the test fails. */
const RECOVERY_BOUND_MS = 30_000

let buses: BusHarness
let edge: WranglerDev
let relay: NatsConnection

beforeAll(async () => {
  buses = await startBuses({ bus: { nodes: 3 }, edge: { deadlineMs: DEADLINE_MS } })
  edge = await startWranglerDev({
    dir: buses.dir,
    config: buses.config,
    keysDir: buses.keysDir,
    port: buses.config.edge.port,
  })
  relay = await buses.connect('relay', 'link')
  answerLinkRequests(relay, (path) => new TextEncoder().encode(JSON.stringify({ path })))
  await relay.flush()
  // The relay's interest reaches the other nodes over the cluster's routes a moment later,
  // and each pool object connects on its first request: wait until the link answers.
  const until = Date.now() + 30_000
  while (Date.now() < until) {
    const all = await statuses(8)
    if (all.every((s) => s === 200)) break
    await new Promise((r) => setTimeout(r, 250))
  }
}, 120_000)

afterAll(async () => {
  await edge?.stop()
  await buses?.stop()
})

async function statuses(n: number, from = 0): Promise<number[]> {
  return Promise.all(
    Array.from({ length: n }, (_, i) =>
      // Status 0: no answer at all within twice the edge's deadline, which the edge must never do.
      fetch(`${edge.url}/demo/orders/${from + i}`, { signal: AbortSignal.timeout(2 * DEADLINE_MS) })
        .then(async (r) => {
          await r.arrayBuffer()
          return r.status
        })
        .catch(() => 0),
    ),
  )
}

describe('edge on a clustered link', () => {
  it('EDGE-311 the worker is given every link node and its requests are answered through them', async () => {
    expect(linkUrlOf(buses.config).split(',')).toHaveLength(3)
    const all = await statuses(80)
    expect(all.filter((s) => s !== 200)).toEqual([])
  })

  it('EDGE-312 a link node killed under load: every request is answered, 200 or a retriable 503/504, and all are 200 again after', async () => {
    const victim = nodesWithoutRelay()[0]!
    const failed = answeredUnder(
      'link-node-killed',
      victim,
      await underLoad(() => buses.killNode(victim)),
    )
    // Only requests in flight on the dying node's connections may fail; new ones go to the
    // shards whose link is up, then to the reconnected ones.
    expect(failed, linkLog()).toBeLessThanOrEqual(8)
    const after = await recovered('link-recovered')
    expect(
      after.filter((s) => s !== 200),
      linkLog(),
    ).toEqual([])
    await buses.startNode(victim)
  }, 90_000)

  it('EDGE-313 link nodes that hang (SIGSTOP: their sockets stay open, nothing answers) under load: the edge probes, drops those connections and is all 200 again well before the client heartbeat would notice', async () => {
    // Every node but the relay's hangs, so every pool object not on the relay's node is hit.
    const pids = nodesWithoutRelay().map((n) => buses.node(n)!.pid)
    try {
      const hang = async () => pids.forEach((pid) => process.kill(pid, 'SIGSTOP'))
      answeredUnder('link-nodes-hung', pids.join(','), await underLoad(hang))
      // Without the probe, nothing tells a pool object its node hangs until nats' heartbeat
      // misses two PONGs (PING_INTERVAL_MS 30 s each): every request of its shard is a 504.
      const after = await recovered('link-hang-recovered')
      expect(
        after.filter((s) => s !== 200),
        linkLog(),
      ).toEqual([])
    } finally {
      pids.forEach((pid) => process.kill(pid, 'SIGCONT'))
    }
  }, 90_000)

  it('EDGE-314 link nodes going away in lame duck mode under load (a planned restart): the edge moves its connections off each before it closes them and fails no request', async () => {
    // The nodes the test's relay is not on: what is measured is the edge's side (CLUS-011
    // restarts every link node of a whole stack, the relays' side too).
    const victims = nodesWithoutRelay()
    const results: number[] = []
    let stop = false
    const load = (async () => {
      let i = 0
      while (!stop) {
        results.push(...(await statuses(4, 20_000 + i)))
        i += 4
      }
    })()
    try {
      for (const node of victims) {
        await buses.lameDuckNode(node)
        await buses.startNode(node)
        await new Promise((r) => setTimeout(r, 1_000))
      }
    } finally {
      stop = true
      await load
    }
    console.info(JSON.stringify({ event: 'link-lame-duck', victims, requests: results.length }))
    expect(results.length).toBeGreaterThan(40)
    expect(
      results.filter((s) => s !== 200),
      linkLog(),
    ).toEqual([])
  }, 150_000)
})

/** The link nodes running that the test's relay is not on: what is measured is the edge's side. */
function nodesWithoutRelay(): string[] {
  const relayNode = relay.info?.server_name ?? ''
  return ['link.1', 'link.2', 'link.3'].filter(
    (n) => relayNode !== `portcullis-${n.replace('.', '-')}` && buses.node(n),
  )
}

/** Statuses of a steady load (4 in flight) that runs 1 s, then `fault`, then 3 s more. */
async function underLoad(fault: () => Promise<void>): Promise<number[]> {
  const results: number[] = []
  let stop = false
  const load = (async () => {
    let i = 0
    while (!stop) {
      results.push(...(await statuses(4, 1000 + i)))
      i += 4
    }
  })()
  await new Promise((r) => setTimeout(r, 1_000))
  const faultAt = results.length
  await fault()
  await new Promise((r) => setTimeout(r, 3_000))
  stop = true
  await load
  expect(results.length).toBeGreaterThan(faultAt)
  return results
}

/** Checks every request was answered 200 or a retriable 503/504; how many were not 200. */
function answeredUnder(event: string, victim: string, results: number[]): number {
  const failed = results.filter((s) => s !== 200).length
  console.info(JSON.stringify({ event, victim, requests: results.length, failed }))
  expect(
    results.filter((s) => ![200, 503, 504].includes(s)),
    linkLog(),
  ).toEqual([])
  return failed
}

/**
 * Sends rounds of 60 requests until one is all 200 or RECOVERY_BOUND_MS passed; the last
 * round's statuses. The pool objects that were on the lost node reconnect to another one.
 */
async function recovered(event: string): Promise<number[]> {
  const from = Date.now()
  let after: number[] = []
  while (Date.now() - from < RECOVERY_BOUND_MS) {
    after = await statuses(60, 5000 + (Date.now() % 100_000))
    if (after.every((s) => s === 200)) break
    await new Promise((r) => setTimeout(r, 250))
  }
  console.info(JSON.stringify({ event, ms: Date.now() - from }))
  return after
}

/** What the pool objects said about the link, for a failure's message. */
function linkLog(): string {
  return edge.logs
    .filter((l) => l.includes('link-failed') || l.includes('audit-failed'))
    .slice(-12)
    .join('\n')
}
