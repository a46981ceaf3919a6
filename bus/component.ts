/**
 * A component's connections: one per bus it has a grant on, all as its own identity,
 * with the JetStream publish of an envelope to the stream that bus keeps.
 *
 * A connection to a bus that keeps no request-path stream (the link: only core subscriptions
 * on it) moves when its node enters lame duck mode (a planned restart): a new connection is
 * opened (the node in lame duck takes no new clients, so it lands on another), the
 * `onMoved` listeners subscribe again on it, and only then is the old one drained, so the
 * messages it already took are handled and nothing routed to it is cut off when the node
 * closes its clients.
 */
import type { NatsConnection } from '@nats-io/nats-core'
import { failureReason, GatewayError, type BusName, type WireMessage } from '../core/index.js'
import type { LoadedConfig } from '../config/index.js'
import { describeTopology, inboxPrefixOf, type Topology } from '../topology/index.js'
import { connectAs } from './connect.js'
import { createEnvelopePublisher, type EnvelopePublisher, type PublishAck } from './publish.js'
import { closeAll, PUBLISH_TIMEOUT_MS, streamOn } from './stage.js'

const NO_RESPONDERS = 'no responders'
const NO_LEADER_RETRY_MS = 50
const NO_LEADER_RETRY_MAX_MS = 400

export interface ComponentBuses {
  topology: Topology
  /** The connection to one bus. */
  on(bus: BusName): NatsConnection
  /** The name of the stream `bus` keeps. */
  stream(bus: BusName): string
  /** Publishes an envelope to the stream on `bus`; resolves on its ack (BUS_UNAVAILABLE else). */
  publish(
    bus: BusName,
    subject: string,
    wire: WireMessage,
    requestId: string,
    timeoutMs?: number,
  ): Promise<PublishAck>
  /**
   * Lets the connection to `bus` move (see above): `resubscribe` is called, and awaited,
   * once `on(bus)` is the new connection. A connection nobody resubscribes on stays.
   */
  onMoved(bus: BusName, resubscribe: () => Promise<void>): void
  close(): Promise<void>
}

export async function connectComponent(
  config: LoadedConfig,
  identity: string,
  buses: BusName[],
): Promise<ComponentBuses> {
  const topology = describeTopology(config)
  const settled = await Promise.allSettled(
    buses.map((bus) => connectAs({ topology, keysDir: config.paths.keys, identity, bus })),
  )
  const connections = settled.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []))
  const failed = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected')
  if (failed) {
    await closeAll(connections)
    throw failed.reason
  }
  const byBus = new Map(buses.map((bus, i) => [bus, connections[i]!]))
  const publishers = new Map<BusName, EnvelopePublisher & { stream: string }>()
  const resubscribers = new Map<BusName, () => Promise<void>>()
  let closing = false
  const streamed = new Set(topology.streams.filter((s) => s.kind === 'data').map((s) => s.bus))

  const move = async (bus: BusName, old: NatsConnection): Promise<void> => {
    const resubscribe = resubscribers.get(bus)
    if (!resubscribe || closing || byBus.get(bus) !== old) return
    const fresh = await connectAs({ topology, keysDir: config.paths.keys, identity, bus })
    if (closing) {
      await fresh.close()
      return
    }
    connections.push(fresh)
    byBus.set(bus, fresh)
    watch(bus, fresh)
    await resubscribe()
    await old.drain().catch(() => old.close())
    connections.splice(connections.indexOf(old), 1)
  }
  const watch = (bus: BusName, nc: NatsConnection): void => {
    if (streamed.has(bus)) return
    void (async () => {
      for await (const status of nc.status()) {
        if (status.type !== 'ldm') continue
        await move(bus, nc).catch(() => undefined)
        return
      }
    })()
  }
  for (const [bus, nc] of byBus) watch(bus, nc)
  const on = (bus: BusName) => {
    const nc = byBus.get(bus)
    if (!nc) {
      throw new Error(
        `unreachable: ${identity} is not connected to the ${bus} bus (a stage sends only on the buses it declares)`,
      )
    }
    return nc
  }
  return {
    topology,
    on,
    stream: (bus) => streamOn(topology, bus),
    async publish(bus, subject, wire, requestId, timeoutMs) {
      let publisher = publishers.get(bus)
      if (!publisher) {
        publisher = {
          ...createEnvelopePublisher(on(bus), inboxPrefixOf(identity)),
          stream: streamOn(topology, bus),
        }
        publishers.set(bus, publisher)
      }
      const { stream } = publisher
      // A stream between leaders (a node restarting, an election) has no responder for a
      // moment: asked again, under the same message id, within the publish's own bound.
      const until = Date.now() + (timeoutMs ?? PUBLISH_TIMEOUT_MS)
      for (let delay = NO_LEADER_RETRY_MS; ; delay = Math.min(delay * 2, NO_LEADER_RETRY_MAX_MS)) {
        try {
          return await publisher.publish(subject, wire, {
            stream,
            msgId: requestId,
            timeoutMs: Math.max(1, until - Date.now()),
          })
        } catch (e) {
          const reason = failureReason(e)
          if (reason === NO_RESPONDERS && Date.now() + delay < until) {
            await new Promise((r) => setTimeout(r, delay))
            continue
          }
          throw new GatewayError('BUS_UNAVAILABLE', {
            reason: `publish to ${stream} failed: ${reason}`,
          })
        }
      }
    },
    onMoved(bus, resubscribe) {
      if (streamed.has(bus))
        throw new Error(`unreachable: the ${bus} connection carries a stream: it cannot move`)
      resubscribers.set(bus, resubscribe)
    },
    async close() {
      closing = true
      await closeAll(connections)
      for (const p of publishers.values()) p.close()
    },
  }
}
