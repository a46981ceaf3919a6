/**
 * A component's connections: one per server it has a grant on, all as its own identity,
 * with the JetStream publish of an envelope to the stream that server keeps.
 */
import { jetstream, type JetStreamClient, type PubAck } from '@nats-io/jetstream'
import type { NatsConnection } from '@nats-io/nats-core'
import type { BusName, WireMessage } from '../core/index.js'
import type { LoadedConfig } from '../config/index.js'
import { describeTopology, type Topology } from '../topology/index.js'
import { connectAs } from './connect.js'
import { closeAll, publishEnvelope, streamOn } from './stage.js'

export interface ComponentBuses {
  topology: Topology
  /** The connection to one server. */
  on(server: BusName): NatsConnection
  /** The name of the stream `server` keeps. */
  stream(server: BusName): string
  /** Publishes an envelope to the stream on `server`; resolves on its ack (BUS_UNAVAILABLE else). */
  publish(
    server: BusName,
    subject: string,
    wire: WireMessage,
    requestId: string,
    timeoutMs?: number,
  ): Promise<PubAck>
  close(): Promise<void>
}

export async function connectComponent(
  config: LoadedConfig,
  identity: string,
  servers: BusName[],
): Promise<ComponentBuses> {
  const topology = describeTopology(config)
  const settled = await Promise.allSettled(
    servers.map((server) => connectAs({ topology, keysDir: config.paths.keys, identity, server })),
  )
  const connections = settled.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []))
  const failed = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected')
  if (failed) {
    await closeAll(connections)
    throw failed.reason
  }
  const byServer = new Map(servers.map((server, i) => [server, connections[i]!]))
  const clients = new Map<BusName, JetStreamClient>()
  const on = (server: BusName) => {
    const nc = byServer.get(server)
    if (!nc) throw new Error(`${identity} is not connected to the ${server} bus`)
    return nc
  }
  return {
    topology,
    on,
    stream: (server) => streamOn(topology, server),
    publish(server, subject, wire, requestId, timeoutMs) {
      let js = clients.get(server)
      if (!js) clients.set(server, (js = jetstream(on(server))))
      return publishEnvelope(js, subject, wire, {
        stream: streamOn(topology, server),
        requestId,
        ...(timeoutMs === undefined ? {} : { timeoutMs }),
      })
    },
    close: () => closeAll(connections),
  }
}
