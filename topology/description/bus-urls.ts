/** The URLs a client is given to reach a bus: every node's, so it fails over by itself. */
import { SetupError, type BusName } from '../../core/index.js'
import type { Topology } from './types.js'

export function serverUrl(topology: Topology, bus: BusName): string {
  return serverUrls(topology, bus)[0]!
}

/** The client URL of every node of the bus: what a component is given, to fail over. */
export function serverUrls(topology: Topology, bus: BusName): string[] {
  const spec = topology.buses.find((b) => b.name === bus)
  if (!spec) {
    throw new SetupError('TOPOLOGY_INVALID', `no ${bus} bus in the ${topology.mode} topology`)
  }
  return spec.ports.map((p) => `nats://${topology.host}:${p}`)
}

/**
 * The link's WebSocket URL on every node: what the edge dials. `wss://<link.publicHost>` when
 * the link serves TLS, else `ws://` (on `bus.host` unless `link.publicHost` names another).
 */
export function linkWebsocketUrls(
  topology: Pick<Topology, 'buses' | 'host'> & Pick<Partial<Topology>, 'link'>,
): string[] {
  const link = topology.buses.find((b) => b.name === 'link')
  if (!link?.websocketPorts) {
    throw new SetupError('TOPOLOGY_INVALID', 'the topology has no link WebSocket listener')
  }
  const scheme = topology.link?.tls ? 'wss' : 'ws'
  const host = topology.link?.publicHost ?? topology.host
  return link.websocketPorts.map((p) => `${scheme}://${host}:${p}`)
}
